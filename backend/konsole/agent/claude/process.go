package claude

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/konui/konui/backend/shared/tail"
	"github.com/konui/konui/backend/shared/textclip"
)

// MaxLineBytes bounds one stdout line; longer lines are dropped and logged.
const MaxLineBytes = 64 << 20

// Options says how to start the CLI.
type Options struct {
	// Binary is the CLI to run; "claude" (looked up on PATH) when empty.
	Binary string
	// Dir is the working directory of the session.
	Dir string
	// Env is the environment; nil inherits the caller's.
	Env []string
	// Resume continues an earlier agent session by its id; ForkSession
	// gives the resumed conversation a new id (the original stays as it
	// was) and ResumeAt keeps only its entries up to that chain entry uuid.
	Resume      string
	ForkSession bool
	ResumeAt    string
	// Model and PermissionMode are passed through when set.
	Model          string
	PermissionMode string
	// Effort is the --effort level when set.
	Effort string
	// MCPConfig is the JSON for --mcp-config; AllowedTools for --allowedTools.
	MCPConfig    string
	AllowedTools []string
	// Logger receives skipped lines and stderr; slog.Default when nil.
	Logger *slog.Logger
	// Checkpoints turns on the CLI's own file checkpoints
	// (CheckpointingEnv) and echoes each user message with its uuid
	// (--replay-user-messages), which a rewind of the conversation
	// resumes before.
	Checkpoints bool
}

// CheckpointingEnv turns on the CLI's file checkpoints, which its
// rewind_files control request needs.
const CheckpointingEnv = "CLAUDE_CODE_ENABLE_SDK_FILE_CHECKPOINTING=true"

// Args returns the command-line arguments for opts, without the binary.
func (o Options) Args() []string {
	args := []string{"--output-format", "stream-json", "--verbose", "--input-format", "stream-json",
		"--include-partial-messages", "--permission-prompt-tool", "stdio"}
	if o.MCPConfig != "" {
		args = append(args, "--mcp-config", o.MCPConfig)
	}
	for _, t := range o.AllowedTools {
		args = append(args, "--allowedTools", t)
	}
	if o.Resume != "" {
		args = append(args, "--resume="+o.Resume)
		if o.ForkSession {
			args = append(args, "--fork-session")
		}
		if o.ResumeAt != "" {
			args = append(args, "--resume-session-at="+o.ResumeAt)
		}
	}
	if o.Model != "" {
		args = append(args, "--model", o.Model)
	}
	if o.PermissionMode != "" {
		args = append(args, "--permission-mode", o.PermissionMode)
	}
	if o.Effort != "" {
		args = append(args, "--effort", o.Effort)
	}
	if o.Checkpoints {
		args = append(args, "--replay-user-messages")
	}
	return args
}

// Process is one running CLI. The caller should drain Outputs until it is
// closed and then wait on Done; Kill or Escalate end it early.
type Process struct {
	cmd    *exec.Cmd
	log    *slog.Logger
	stdin  *inbox
	out    chan Output
	done   chan struct{}
	err    error
	stderr *tail.Buffer
	seq    atomic.Int64
	tag    string // see AgentTagEnv
	// tree is the CLI and what it starts: its process group on Unix, a
	// Job object on Windows.
	tree *tree
}

// Start spawns the CLI in its own process group.
func Start(opts Options) (*Process, error) {
	bin := opts.Binary
	if bin == "" {
		bin = "claude"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("failed to find the Claude Code CLI %q: %w (install it with: %s, or set its path in Settings)", bin, err, InstallCommand)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	cmd := exec.Command(path, opts.Args()...)
	cmd.Dir = opts.Dir
	tag := newAgentTag()
	cmd.Env = withTag(opts.Env, tag)
	if opts.Checkpoints {
		cmd.Env = append(cmd.Env, CheckpointingEnv)
	}
	cmd.SysProcAttr = sysProcAttr()
	p := &Process{cmd: cmd, log: log, out: make(chan Output, 256), done: make(chan struct{}), tag: tag}
	p.stderr = tail.New(8 << 10)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("failed to open the CLI's stdin: %w", err)
	}
	// Konsole's own pipes for stdout and stderr, not os/exec's: the end of
	// the CLI is its exit (Wait), and what still holds a pipe open after it
	// (a child that inherited it) is cut off by drain, not waited for.
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("failed to open the CLI's stdout: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("failed to open the CLI's stderr: %w", err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close() // the CLI has its own copies now
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("failed to start %s: %w", path, err)
	}
	p.tree = newTree(cmd.Process.Pid, log)
	p.stdin = newInbox(stdin, p.done)
	stdout, stderr := newPipeReader(outR), newPipeReader(errR)
	go p.read(stdout)
	go func() {
		defer close(stderr.done)
		// the pipe ends with the child; the tail keeps what came before.
		_, _ = io.Copy(p.stderr, stderr)
	}()
	go p.wait(stdout, stderr)
	return p, nil
}

// Pid returns the process id (also the process group id).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Outputs delivers parsed stdout lines; it is closed when stdout ends.
func (p *Process) Outputs() <-chan Output { return p.out }

// Done is closed once the process has exited; Err then tells how.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns the exit error after Done (nil for a clean exit).
func (p *Process) Err() error {
	<-p.done
	return p.err
}

// StderrTail returns the last few KiB the CLI wrote to stderr.
func (p *Process) StderrTail() string { return strings.TrimSpace(p.stderr.String()) }

// wait owns the end of the process: its exit, then the end of its output
// (drain), then the processes it left behind, then Done.
func (p *Process) wait(stdout, stderr *pipeReader) {
	err := p.cmd.Wait()
	drain(ExitDrain, stdout, stderr)
	if pids := reapTagged(p.tag); len(pids) > 0 {
		p.log.Warn("killed processes the agent left running", "pid", p.Pid(), "killed", pids)
	}
	p.tree.release()
	p.err = err
	close(p.done)
}

func (p *Process) read(stdout *pipeReader) {
	defer func() {
		close(p.out)
		close(stdout.done)
	}()
	r := bufio.NewReaderSize(stdout, 64<<10)
	var long []byte
	dropping := false
	for {
		chunk, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if !dropping && len(long)+len(chunk) > MaxLineBytes {
				p.log.Warn("dropping an oversized line from the CLI", "pid", p.Pid(), "limit", MaxLineBytes)
				dropping, long = true, nil
			}
			if !dropping {
				long = append(long, chunk...)
			}
			continue
		}
		line := append(long, chunk...)
		long = nil
		if dropping {
			dropping, line = false, nil
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			p.handle(append([]byte(nil), line...))
		}
		if err != nil {
			return
		}
	}
}

func (p *Process) handle(line []byte) {
	out, err := ParseLine(line)
	if err != nil {
		p.log.Warn("skipping a malformed line from the CLI", "pid", p.Pid(), "err", err, "line", textclip.Head(string(line), 200))
		return
	}
	if out.Kind == KindUnknown {
		return
	}
	p.out <- out
}

// write queues one JSON line for the CLI's stdin and returns without
// waiting for the CLI to read it (see inbox). An error means the line will
// never be written: the input is closed, the CLI has exited or too much
// already waits.
func (p *Process) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("failed to encode a line for the CLI: %w", err)
	}
	return p.stdin.put(append(b, '\n'))
}

// SendUser starts a turn with text as the user's message.
func (p *Process) SendUser(text string) error {
	return p.write(map[string]any{
		"type":               "user",
		"message":            map[string]any{"role": "user", "content": text},
		"parent_tool_use_id": nil,
		"session_id":         "default",
	})
}

// SendUserContent writes a user message made of content blocks (a text
// block beside image blocks) as the next turn's prompt.
func (p *Process) SendUserContent(content []map[string]any) error {
	return p.write(map[string]any{
		"type":               "user",
		"message":            map[string]any{"role": "user", "content": content},
		"parent_tool_use_id": nil,
		"session_id":         "default",
	})
}

// Initialize sends the initialize control request, which the CLI answers
// once it is ready for a turn (its MCP servers connected): the first sign
// of readiness, since its system/init line only comes with the first turn.
// It returns the request id that the CLI's control_response will carry.
func (p *Process) Initialize() (string, error) {
	id := fmt.Sprintf("init_%d_konsole", p.seq.Add(1))
	return id, p.write(map[string]any{
		"type":       "control_request",
		"request_id": id,
		"request":    map[string]any{"subtype": "initialize"},
	})
}

// Interrupt asks the CLI to stop the running turn; it returns the control
// request id that the CLI's control_response will carry.
func (p *Process) Interrupt() (string, error) {
	id := fmt.Sprintf("req_%d_konsole", p.seq.Add(1))
	return id, p.write(map[string]any{
		"type":       "control_request",
		"request_id": id,
		"request":    map[string]any{"subtype": "interrupt"},
	})
}

// AnswerPermission answers a can_use_tool request. On allow, input is the
// tool input to use (the CLI requires it); on deny, message tells the model why.
func (p *Process) AnswerPermission(requestID string, allow bool, input json.RawMessage, message string) error {
	resp := map[string]any{"behavior": "deny", "message": message}
	if allow {
		if len(input) == 0 {
			input = json.RawMessage("{}")
		}
		resp = map[string]any{"behavior": "allow", "updatedInput": input}
	} else if message == "" {
		resp["message"] = "The user denied this tool use."
	}
	return p.write(map[string]any{
		"type": "control_response",
		"response": map[string]any{
			"subtype":    "success",
			"request_id": requestID,
			"response":   resp,
		},
	})
}

// CloseInput closes stdin once every queued line is written: the CLI
// finishes and exits. It does not wait for the CLI; later writes fail.
func (p *Process) CloseInput() {
	p.stdin.close()
}

// Signal sends sig to the whole process group (the CLI and its tools).
func (p *Process) Signal(sig syscall.Signal) error { return p.tree.signal(sig) }

// Escalate sends SIGINT, then SIGTERM, then SIGKILL to the process group,
// waiting step between them, and returns once the process has exited.
func (p *Process) Escalate(step time.Duration) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		select {
		case <-p.done:
			return
		default:
		}
		if err := p.Signal(sig); err != nil {
			p.log.Warn("failed to signal the CLI", "pid", p.Pid(), "signal", sig, "err", err)
		}
		select {
		case <-p.done:
			return
		case <-time.After(step):
		}
	}
	<-p.done
}

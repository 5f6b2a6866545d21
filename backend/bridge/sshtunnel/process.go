package sshtunnel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/konui/konui/backend/shared/tail"
)

// conn is one running ssh process and what its remote side answered.
type conn struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	stderr *tail.Buffer
	done   chan struct{} // closed when ssh has ended
	exit   int           // ssh's exit code once done; -1 when killed
	runErr error

	stopped  atomic.Bool
	stopOnce sync.Once

	localPort                 int
	remoteURL, token, version string
}

// answer is the one line `konui konsole --over-ssh` prints.
type answer struct {
	URL     string `json:"url"`
	Token   string `json:"token"`
	Version string `json:"version"`
	Error   string `json:"error"`
	Code    string `json:"code"`
}

func (c *conn) localURL() string { return "http://127.0.0.1:" + strconv.Itoa(c.localPort) }

func (c *conn) pid() int {
	if c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

func (c *conn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// stopWait bounds how long a stopped ssh may take to end before it is killed.
const stopWait = 3 * time.Second

// stop ends ssh: its stdin closes (the remote side exits and leaves its
// Konsole running), SIGTERM, and SIGKILL after stopWait. It waits for the
// end and is idempotent.
func (c *conn) stop() {
	c.stopOnce.Do(func() {
		c.stopped.Store(true)
		c.stdin.Close()
		if c.cmd.Process != nil {
			// a process that has exited already refuses the signal; done is closed then.
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
		}
		select {
		case <-c.done:
		case <-time.After(stopWait):
			_ = c.cmd.Process.Kill()
		}
	})
	<-c.done
}

// args is ssh's argument list. Nothing in it is secret: the token comes
// back on ssh's stdout.
func (t *Tunnel) args(lport int, rhost string, rport int) []string {
	a := append([]string{}, t.opt.SSH[1:]...)
	a = append(a, "-T",
		"-o", "BatchMode=yes",
		"-o", "ExitOnForwardFailure=yes",
		"-o", "ServerAliveInterval="+seconds(t.opt.AliveInterval),
		"-o", "ServerAliveCountMax="+strconv.Itoa(t.opt.AliveCountMax),
		"-o", "ConnectTimeout="+seconds(t.opt.ConnectTimeout),
		// A connection of its own: a shared master (ControlMaster with
		// ControlPersist) would keep the forward after this ssh is gone.
		"-o", "ControlMaster=no", "-o", "ControlPath=none",
		"-L", fmt.Sprintf("127.0.0.1:%d:%s:%d", lport, bracket(rhost), rport))
	if t.target.Port != 0 {
		a = append(a, "-p", strconv.Itoa(t.target.Port))
	}
	if t.target.User != "" {
		a = append(a, "-l", t.target.User)
	}
	return append(a, "--", t.target.Host, t.target.remoteCommand())
}

func seconds(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

func bracket(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "[" + host + "]"
	}
	return host
}

// spawn runs ssh and waits for the remote side's line (or ssh's end, or ctx).
func (t *Tunnel) spawn(ctx context.Context, lport int, rhost string, rport int) (*conn, error) {
	argv := t.args(lport, rhost, rport)
	cmd := exec.Command(t.opt.SSH[0], argv...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, &Error{Code: CodeSSH, Message: fmt.Sprintf("failed to start ssh: %v", err)}
	}
	lines := &lineWriter{found: make(chan []byte, 1)}
	c := &conn{cmd: cmd, stdin: stdin, stderr: tail.New(8 << 10), done: make(chan struct{}), localPort: lport}
	cmd.Stdout = lines
	cmd.Stderr = c.stderr
	// Bounds the copying of ssh's output once it has ended (a ProxyCommand
	// that outlives it may hold the pipes).
	cmd.WaitDelay = 2 * time.Second
	t.lg.Debug("starting ssh", "argv", argv)
	if err := cmd.Start(); err != nil {
		stdin.Close()
		return nil, classify(t.target, -1, "", err)
	}
	go func() {
		err := cmd.Wait()
		c.runErr = err
		c.exit = -1
		if cmd.ProcessState != nil {
			c.exit = cmd.ProcessState.ExitCode()
		}
		close(c.done)
	}()
	var line []byte
	select {
	case line = <-lines.found:
	case <-c.done:
		select {
		case line = <-lines.found:
		default:
			return nil, classify(t.target, c.exit, c.stderr.String(), nil)
		}
	case <-ctx.Done():
		c.stop()
		if errors.Is(t.ctx.Err(), context.Canceled) {
			return nil, ErrClosed
		}
		return nil, &Error{Code: CodeTimeout, Message: fmt.Sprintf("%s did not answer over ssh within %s (ssh said: %s)", t.target.name(), t.opt.StartTimeout, said(c.stderr.String()))}
	}
	var a answer
	if err := json.Unmarshal(line, &a); err != nil {
		c.stop()
		return nil, &Error{Code: CodeBadAnswer, Message: fmt.Sprintf("konui on %s answered something konui cannot read over ssh (%v); is it the same version as this one?", t.target.name(), err)}
	}
	if a.Error != "" {
		c.stop()
		code := a.Code
		if code == "" {
			code = CodeSSH
		}
		return nil, &Error{Code: code, Message: fmt.Sprintf("konui on %s: %s", t.target.name(), a.Error)}
	}
	if a.URL == "" || a.Token == "" {
		c.stop()
		return nil, &Error{Code: CodeBadAnswer, Message: fmt.Sprintf("konui on %s gave no Konsole address or token over ssh; is it the same version as this one?", t.target.name())}
	}
	c.remoteURL, c.token, c.version = a.URL, a.Token, a.Version
	return c, nil
}

// forwardTarget is where on the remote machine the forward must go for
// the Konsole at u: its loopback host and port.
func forwardTarget(u string) (string, int, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", 0, err
	}
	if p.Scheme != "http" {
		return "", 0, fmt.Errorf("over ssh konui reaches a Konsole on plain http at a loopback address, and this one serves %s", p.Scheme)
	}
	port, err := strconv.Atoi(p.Port())
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("no port in its URL")
	}
	host := p.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", 0, fmt.Errorf("its host %s is not a loopback address", host)
	}
	return ip.String(), port, nil
}

// lineWriter takes ssh's stdout: the first line that is a JSON object is
// the answer (a remote shell's start-up files may print other lines
// before it); everything after it is dropped.
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	done  bool
	found chan []byte
}

// maxLine bounds a line kept while looking for the answer.
const maxLine = 64 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) > maxLine {
				w.buf = w.buf[:0]
			}
			return len(p), nil
		}
		line := bytes.TrimSpace(w.buf[:i])
		w.buf = w.buf[i+1:]
		if len(line) > 0 && line[0] == '{' {
			w.done = true
			w.found <- bytes.Clone(line)
			w.buf = nil
			return len(p), nil
		}
	}
}

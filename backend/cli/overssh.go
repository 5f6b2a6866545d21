package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/konui/konui/backend/konsole/runfile"
	"github.com/konui/konui/backend/shared/auth"
)

// Bounds of `konui konsole --over-ssh`; the tunnel on the other end waits
// 45 s in all, so each is below that.
const (
	overSSHStartWait  = 30 * time.Second // a Konsole it started, until it answers
	overSSHHealthWait = 10 * time.Second // a running Konsole, until it answers
	overSSHLockWait   = 35 * time.Second // another --over-ssh starting one
	konsoleLogName    = "konsole.log"    // a started Konsole's output, in its data dir
	konsoleLogMax     = 8 << 20          // its size past which a start moves it to konsole.log.1
)

// overSSHError is the one line --over-ssh prints when it cannot answer.
type overSSHError struct {
	Code, Message string
}

func (e *overSSHError) Error() string { return e.Message }

// runOverSSH is `konui konsole --over-ssh`, the remote end of an SSH
// tunnel (backend/bridge/sshtunnel): it starts a Konsole detached from this SSH
// session unless one runs on the data dir, waits until it answers, prints
// one JSON line {"url","token","version"} and waits for stdin to close,
// leaving the Konsole running. On failure it prints {"error","code"} and
// exits 1. Nothing goes to stderr: ssh passes it to the other end.
func runOverSSH(ctx context.Context, f konsoleFlags, fs *flag.FlagSet, stdin io.Reader, stdout io.Writer) int {
	a, err := overSSH(ctx, f, fs)
	if err != nil {
		var e *overSSHError
		if !errors.As(err, &e) {
			e = &overSSHError{Code: "konsole_failed", Message: err.Error()}
		}
		// the exit status says it failed even when the caller cannot read why.
		_ = json.NewEncoder(stdout).Encode(map[string]string{"error": e.Message, "code": e.Code})
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(a); err != nil {
		return 1
	}
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin) // the end of stdin, however it ends, is the signal
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
	}
	return 0
}

type overSSHAnswer struct {
	URL     string `json:"url"`
	Token   string `json:"token"`
	Version string `json:"version"`
}

func overSSH(ctx context.Context, f konsoleFlags, fs *flag.FlagSet) (overSSHAnswer, error) {
	dataDir := f.data
	if dataDir == "" {
		d, err := runfile.DefaultDataDir()
		if err != nil {
			return overSSHAnswer{}, err
		}
		dataDir = d
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return overSSHAnswer{}, fmt.Errorf("failed to find the data folder: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return overSSHAnswer{}, fmt.Errorf("failed to create %s: %w", dataDir, err)
	}
	// Two tunnels arriving at once start one Konsole, not two.
	unlock, err := lockOverSSH(ctx, filepath.Join(dataDir, "over-ssh.lock"))
	if err != nil {
		return overSSHAnswer{}, err
	}
	defer unlock()
	if i, ok, err := runfile.Read(dataDir); err != nil {
		return overSSHAnswer{}, err
	} else if ok {
		watch, stop := context.WithCancel(ctx)
		a, err := answerFor(ctx, i, overSSHHealthWait, gone(watch, dataDir), dataDir)
		stop()
		if running, _ := runfile.Held(dataDir); err == nil || running || ctx.Err() != nil {
			return a, err
		}
		// It ended while this waited for it (killed as this connection
		// came): start another one.
	}
	pid, exited, err := startDetached(fs, dataDir)
	if err != nil {
		return overSSHAnswer{}, err
	}
	deadline := time.Now().Add(overSSHStartWait)
	for {
		i, ok, err := runfile.Read(dataDir)
		if err != nil {
			return overSSHAnswer{}, err
		}
		if ok && i.PID == pid {
			return answerFor(ctx, i, time.Until(deadline), exited, dataDir)
		}
		select {
		case <-exited:
			return overSSHAnswer{}, &overSSHError{Code: "konsole_failed", Message: "the Konsole started for this SSH connection ended at once: " + lastLogLine(dataDir)}
		case <-ctx.Done():
			return overSSHAnswer{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return overSSHAnswer{}, &overSSHError{Code: "konsole_failed", Message: fmt.Sprintf("the Konsole started for this SSH connection (pid %d) did not come up within %s; its log is %s", pid, overSSHStartWait, filepath.Join(dataDir, konsoleLogName))}
		}
	}
}

// startDetached runs this konui as `konui konsole` in a session of its
// own, its output appended to <data>/konsole.log, so that it outlives the
// SSH connection. The flags given to --over-ssh pass on; the listen
// address is the default one when it is free, else a free port (the
// tunnel follows the Konsole's port). exited closes if it ends.
func startDetached(fs *flag.FlagSet, dataDir string) (pid int, exited <-chan struct{}, err error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, nil, fmt.Errorf("failed to find this konui: %w", err)
	}
	args := []string{"konsole"}
	listenSet := false
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "over-ssh", "data":
			return
		case "listen":
			listenSet = true
		}
		args = append(args, "--"+fl.Name+"="+fl.Value.String())
	})
	args = append(args, "--data="+dataDir)
	if !listenSet {
		listen := defaultKonsoleListen()
		if ln, err := net.Listen("tcp", listen); err != nil {
			listen = "127.0.0.1:0"
		} else {
			ln.Close()
		}
		args = append(args, "--listen="+listen)
	}
	logPath := filepath.Join(dataDir, konsoleLogName)
	// Each start appends; past konsoleLogMax the old output moves aside
	// (one generation kept), so that a long-lived remote does not fill up.
	if st, err := os.Stat(logPath); err == nil && st.Size() > konsoleLogMax {
		// A log that cannot move aside keeps growing: starting the Konsole
		// matters more.
		_ = os.Rename(logPath, logPath+".1")
	}
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, nil, fmt.Errorf("failed to open the Konsole's log: %w", err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "--- %s konui konsole --over-ssh starts a Konsole\n", time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = detachedAttr()
	if err := cmd.Start(); err != nil {
		return 0, nil, fmt.Errorf("failed to start the Konsole: %w", err)
	}
	done := make(chan struct{})
	// How it ended is in its log (lastLogLine); done says only that it did.
	go func() { _ = cmd.Wait(); close(done) }()
	return cmd.Process.Pid, done, nil
}

// answerFor waits, at most wait, for the Konsole of i to answer /healthz
// and reads its token; it stops waiting when exited closes.
func answerFor(ctx context.Context, i runfile.Info, wait time.Duration, exited <-chan struct{}, dataDir string) (overSSHAnswer, error) {
	if !strings.HasPrefix(i.URL, "http://") {
		return overSSHAnswer{}, &overSSHError{Code: "konsole_tls", Message: fmt.Sprintf("the Konsole running here (pid %d) serves %s; over ssh konui reaches one on plain http at a loopback address: stop it, or start it with --listen 127.0.0.1:PORT", i.PID, i.URL)}
	}
	version, err := waitHealthy(ctx, i.URL, wait, exited)
	if err != nil {
		if exited != nil {
			select {
			case <-exited:
				return overSSHAnswer{}, &overSSHError{Code: "konsole_failed", Message: "the Konsole started for this SSH connection ended: " + lastLogLine(dataDir)}
			default:
			}
		}
		return overSSHAnswer{}, &overSSHError{Code: "konsole_unhealthy", Message: fmt.Sprintf("the Konsole running here (pid %d) does not answer at %s: %v", i.PID, i.URL, err)}
	}
	if i.TokenFile == "" {
		return overSSHAnswer{}, &overSSHError{Code: "token_unreadable", Message: fmt.Sprintf("the Konsole running here (pid %d) does not say where its token is", i.PID)}
	}
	token, err := auth.ReadTokenFile(i.TokenFile)
	if err != nil {
		return overSSHAnswer{}, &overSSHError{Code: "token_unreadable", Message: fmt.Sprintf("failed to read the token of the Konsole running here: %v", err)}
	}
	return overSSHAnswer{URL: i.URL, Token: token, Version: version}, nil
}

func waitHealthy(ctx context.Context, base string, wait time.Duration, exited <-chan struct{}) (string, error) {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 2 * time.Second}
	deadline := time.Now().Add(wait)
	for {
		var h struct{ Status, Version string }
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			err = json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&h)
			resp.Body.Close()
			if err == nil && (resp.StatusCode != http.StatusOK || h.Status != "ok") {
				err = fmt.Errorf("/healthz answered %d %q", resp.StatusCode, h.Status)
			}
		}
		if err == nil {
			return h.Version, nil
		}
		if time.Now().After(deadline) {
			return "", err
		}
		select {
		case <-exited:
			return "", err
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lastLogLine is the last line of a started Konsole's log: why it ended.
func lastLogLine(dataDir string) string {
	path := filepath.Join(dataDir, konsoleLogName)
	f, err := os.Open(path)
	if err != nil {
		return "see " + path
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > 4096 {
		if _, err := f.Seek(-4096, io.SeekEnd); err != nil {
			return "see " + path
		}
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]) + " (log: " + path + ")"
}

// gone closes once the Konsole of dataDir no longer runs (its lock is
// free: runfile.Held), checked every 100 ms until ctx ends: a running
// Konsole found in the run file may be ending as this connection arrives.
func gone(ctx context.Context, dataDir string) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if running, err := runfile.Held(dataDir); err == nil && !running {
				close(ch)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ch
}

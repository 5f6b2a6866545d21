package sshtunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/konui/konui/backend/shared/defaults"
)

// DefaultRemotePort is the port a Konsole started by `konui konsole
// --over-ssh` listens on when it is free there (konsole.DefaultListen's,
// unless $KONUI_KONSOLE_LISTEN says otherwise there): the first forward
// goes to it, and follows the Konsole when it is elsewhere.
const DefaultRemotePort = 7421

// Options adjust a Tunnel. Zero values take the defaults noted beside them.
type Options struct {
	// SSH is the ssh command and its first arguments: $KONUI_SSH_COMMAND
	// split on spaces (like git's GIT_SSH_COMMAND, e.g. "ssh -F FILE"),
	// else "ssh".
	SSH []string
	// StartTimeout bounds one start: from running ssh to the remote
	// Konsole answering through the forward (45 s; the remote side may have
	// to start a Konsole).
	StartTimeout time.Duration
	// ConnectTimeout is ssh's ConnectTimeout (15 s).
	ConnectTimeout time.Duration
	// AliveInterval and AliveCountMax are ssh's ServerAliveInterval (15 s)
	// and ServerAliveCountMax (3): a silently dead connection ends ssh
	// within their product.
	AliveInterval time.Duration
	AliveCountMax int
	// HealthTimeout bounds the check, on each Endpoint call, that a running
	// tunnel still reaches the Konsole (3 s).
	HealthTimeout time.Duration
	// RemotePort is where the first forward goes (DefaultRemotePort): the
	// port a Konsole started there takes, which $KONUI_KONSOLE_LISTEN may
	// move. A Konsole found elsewhere is followed either way.
	RemotePort int
	Logger     *slog.Logger
}

func (o *Options) defaults() {
	if len(o.SSH) == 0 {
		o.SSH = strings.Fields(os.Getenv("KONUI_SSH_COMMAND"))
	}
	if len(o.SSH) == 0 {
		o.SSH = []string{"ssh"}
	}
	defaults.Set(&o.StartTimeout, 45*time.Second)
	defaults.Set(&o.ConnectTimeout, 15*time.Second)
	defaults.Set(&o.AliveInterval, 15*time.Second)
	defaults.Set(&o.HealthTimeout, 3*time.Second)
	defaults.Set(&o.AliveCountMax, 3)
	defaults.Set(&o.RemotePort, DefaultRemotePort)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Tunnel is one SSH connection to a remote Konsole, made again on demand.
// It is safe for concurrent use. The caller should call Close.
type Tunnel struct {
	target Target
	opt    Options
	lg     *slog.Logger
	http   *http.Client

	ctx    context.Context // ends at Close: stops a start under way
	cancel context.CancelFunc
	wg     sync.WaitGroup // the start and watch goroutines

	mu     sync.Mutex
	closed bool
	cur    *conn   // the running ssh, nil when none
	flight *flight // the start under way, nil when none
	// localPort is kept across restarts while it is free, so that the
	// URL a bridge holds stays the same; remote is where the Konsole
	// listens there, as last seen.
	localPort  int
	remoteHost string
	remotePort int
}

// flight is one start that concurrent Endpoint calls share.
type flight struct {
	done       chan struct{}
	url, token string
	err        error
}

// New prepares a tunnel to t; it connects on the first Endpoint.
func New(t Target, o Options) *Tunnel {
	o.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Tunnel{target: t, opt: o, lg: o.Logger.With("ssh", t.String()), ctx: ctx, cancel: cancel,
		// Loopback only: no proxy from the environment, no keep-alive
		// connection left to hold the forward.
		http:       &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}},
		remoteHost: "127.0.0.1", remotePort: o.RemotePort}
}

// Endpoint returns the URL (http://127.0.0.1:PORT, the local end of the
// forward) and token of the remote Konsole. When ssh is not running, or
// runs but no longer reaches the Konsole, it starts ssh again (keeping the
// local port when it is free) and waits, at most Options.StartTimeout,
// for the remote side's answer. Errors are *Error, with ssh's own words.
func (t *Tunnel) Endpoint(ctx context.Context) (url, token string, err error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return "", "", ErrClosed
	}
	c := t.cur
	t.mu.Unlock()
	if c != nil && c.alive() {
		if err := t.check(ctx, c.localURL()); err == nil {
			return c.localURL(), c.token, nil
		}
		t.lg.Info("the SSH tunnel no longer reaches the Konsole; connecting again")
		t.drop(c)
	}
	return t.start(ctx)
}

// start runs one start, or joins the one under way.
func (t *Tunnel) start(ctx context.Context) (string, string, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return "", "", ErrClosed
	}
	fl := t.flight
	if fl == nil {
		fl = &flight{done: make(chan struct{})}
		t.flight = fl
		t.wg.Add(1)
		go t.run(fl)
	}
	t.mu.Unlock()
	select {
	case <-fl.done:
		return fl.url, fl.token, fl.err
	case <-ctx.Done():
		why := "no answer in time (the host or the Konsole there did not answer; try ssh to it by hand)"
		if errors.Is(ctx.Err(), context.Canceled) {
			why = "the connection was given up"
		}
		return "", "", &Error{Code: CodeTimeout, Message: fmt.Sprintf("failed to reach %s over ssh: %s", t.target.name(), why)}
	}
}

func (t *Tunnel) run(fl *flight) {
	defer t.wg.Done()
	ctx, cancel := context.WithTimeout(t.ctx, t.opt.StartTimeout)
	defer cancel()
	c, err := t.connect(ctx)
	t.mu.Lock()
	t.flight = nil
	if err == nil && t.closed {
		err = ErrClosed
	}
	if err == nil {
		t.cur = c
		fl.url, fl.token = c.localURL(), c.token
	}
	fl.err = err
	t.mu.Unlock()
	if err != nil && c != nil {
		c.stop()
	}
	close(fl.done)
}

// connect starts ssh; when the remote Konsole listens elsewhere than the
// forward goes, it starts it once more with the forward moved there.
func (t *Tunnel) connect(ctx context.Context) (*conn, error) {
	for try := 0; try < 3; try++ {
		t.mu.Lock()
		rhost, rport := t.remoteHost, t.remotePort
		t.mu.Unlock()
		lport, err := t.freeLocalPort()
		if err != nil {
			return nil, err
		}
		c, err := t.spawn(ctx, lport, rhost, rport)
		if err != nil {
			return nil, err
		}
		host, port, err := forwardTarget(c.remoteURL)
		if err != nil {
			c.stop()
			return nil, &Error{Code: CodeBadAnswer, Message: fmt.Sprintf("the Konsole on %s is at %s, which konui cannot reach over ssh: %v", t.target.name(), c.remoteURL, err)}
		}
		t.mu.Lock()
		t.localPort = lport
		moved := host != rhost || port != rport
		t.remoteHost, t.remotePort = host, port
		t.mu.Unlock()
		if moved {
			t.lg.Info("the remote Konsole listens on another port; moving the forward", "local", lport, "remote", net.JoinHostPort(host, strconv.Itoa(port)))
			c.stop()
			continue
		}
		if err := t.check(ctx, c.localURL()); err != nil {
			c.stop()
			return nil, &Error{Code: CodeForward, Message: fmt.Sprintf("failed to reach the Konsole on %s through the SSH port forward (%v; ssh said: %s); its SSH server must allow TCP forwarding (AllowTcpForwarding)", t.target.name(), err, said(c.stderr.String()))}
		}
		t.lg.Info("SSH tunnel up", "local", c.localURL(), "remote", c.remoteURL, "version", c.version, "pid", c.pid())
		t.wg.Add(1)
		go t.watch(c)
		return c, nil
	}
	return nil, &Error{Code: CodeForward, Message: fmt.Sprintf("the Konsole on %s kept moving to another port while konui connected; try again", t.target.name())}
}

// watch logs the end of a tunnel that was up, with ssh's words.
func (t *Tunnel) watch(c *conn) {
	defer t.wg.Done()
	<-c.done
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed || c.stopped.Load() {
		return
	}
	if out := c.stderr.String(); strings.TrimSpace(out) != "" {
		t.lg.Warn("SSH tunnel ended", "exit", c.exit, "said", said(out))
	} else {
		t.lg.Warn("SSH tunnel ended", "exit", c.exit)
	}
}

// freeLocalPort is the port used last when it is still free, else a new
// free one. Another process may take it before ssh does; ssh then exits
// (ExitOnForwardFailure) and the next start picks again.
func (t *Tunnel) freeLocalPort() (int, error) {
	t.mu.Lock()
	p := t.localPort
	t.mu.Unlock()
	if p != 0 {
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
			ln.Close()
			return p, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, &Error{Code: CodeSSH, Message: fmt.Sprintf("failed to find a free local port for the SSH tunnel: %v", err)}
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// check asks the Konsole's /healthz through the forward.
func (t *Tunnel) check(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, t.opt.HealthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return fmt.Errorf("failed to check the Konsole: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // only the status matters
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("failed to check the Konsole: /healthz answered %d", resp.StatusCode)
	}
	return nil
}

// drop forgets c if it is still the current tunnel, and stops it.
func (t *Tunnel) drop(c *conn) {
	t.mu.Lock()
	if t.cur == c {
		t.cur = nil
	}
	t.mu.Unlock()
	c.stop()
}

// Open parses sshURL (see ParseURL) and returns a new tunnel's Endpoint
// and Close: the shape of a bridge.KonsoleSpec's Resolve and Close and of
// the fleet's Tunnel option.
func Open(sshURL string, o Options) (resolve func(ctx context.Context) (url, token string, err error), closeFn func(), err error) {
	t, err := ParseURL(sshURL)
	if err != nil {
		return nil, nil, err
	}
	tun := New(t, o)
	return tun.Endpoint, tun.Close, nil
}

// Close stops ssh (the remote Konsole keeps running) and waits for a
// start under way to give up. It is idempotent.
func (t *Tunnel) Close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	c := t.cur
	t.cur = nil
	t.mu.Unlock()
	t.cancel()
	if c != nil {
		c.stop()
	}
	t.wg.Wait()
}

package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole"
)

// benchKonsoleEnv makes the test binary a Konsole (benchKonsole) rather
// than the benchmarks: the fleet benchmark runs each Konsole as its own
// process, so that one can be killed with SIGKILL.
const benchKonsoleEnv = "KONUI_BENCH_KONSOLE"

// benchKonsole serves a Konsole on $KONUI_BENCH_LISTEN with its data in
// $KONUI_BENCH_DATA and the token in $KONSOLE_TOKEN, running this binary
// as its agent (benchAgent), until SIGTERM or SIGINT.
func benchKonsole() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench konsole:", err)
		return 1
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, benchKonsoleEnv+"=") && !strings.HasPrefix(kv, "KONSOLE_TOKEN=") {
			env = append(env, kv)
		}
	}
	srv, err := konsole.New(konsole.Config{Listen: os.Getenv("KONUI_BENCH_LISTEN"), Token: os.Getenv("KONSOLE_TOKEN"),
		DataDir: os.Getenv("KONUI_BENCH_DATA"), Claude: exe, SkipAgentCheck: true, Env: append(env, "KONUI_BENCH_AGENT=1"),
		Version: "bench", Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench konsole:", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	srv.Close()
	return 0
}

// konsoleProc is one Konsole process of the fleet benchmark.
type konsoleProc struct {
	addr, token, data, work string
	cmd                     *exec.Cmd
}

func freeAddr(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newKonsoleProc(tb testing.TB, i int) *konsoleProc {
	k := &konsoleProc{addr: freeAddr(tb), token: fmt.Sprintf("fleet-bench-token-%d", i), data: tb.TempDir(), work: tb.TempDir()}
	tb.Cleanup(k.stop)
	return k
}

func (k *konsoleProc) url() string { return "http://" + k.addr }

// start runs the Konsole and waits until it answers.
func (k *konsoleProc) start() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	k.cmd = exec.Command(exe)
	k.cmd.Env = append(os.Environ(), benchKonsoleEnv+"=1", "KONUI_BENCH_LISTEN="+k.addr, "KONUI_BENCH_DATA="+k.data, "KONSOLE_TOKEN="+k.token)
	k.cmd.Stderr = os.Stderr
	if err := k.cmd.Start(); err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(k.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Konsole at %s did not come up: %w", k.addr, err)
		}
	}
}

// kill9 ends the Konsole with SIGKILL; its agents end on their next write.
func (k *konsoleProc) kill9() {
	if k.cmd != nil && k.cmd.Process != nil {
		k.cmd.Process.Signal(syscall.SIGKILL)
		k.cmd.Wait()
		k.cmd = nil
	}
}

func (k *konsoleProc) stop() {
	if k.cmd == nil || k.cmd.Process == nil {
		return
	}
	k.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { k.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		k.cmd.Process.Kill()
		<-done
	}
	k.cmd = nil
}

// do calls the Konsole's API and decodes its JSON answer.
func (k *konsoleProc) do(method, path string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, k.url()+path, rd)
	req.Header.Set("Authorization", "Bearer "+k.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, nil
}

// logIDs reads the ids of the Konsole's stored events after since, up to
// and including upto.
func (k *konsoleProc) logIDs(since, upto int64) ([]int64, error) {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/events?since=%d", k.url(), since), nil)
	req.Header.Set("Authorization", "Bearer "+k.token)
	cl := &http.Client{Timeout: 30 * time.Second}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var ids []int64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("id: ")) {
			continue
		}
		var id int64
		if _, err := fmt.Sscan(string(line[4:]), &id); err != nil || id == 0 {
			continue
		}
		ids = append(ids, id)
		if id >= upto {
			return ids, nil
		}
	}
	return ids, fmt.Errorf("the log of %s ended at %d events, before %d", k.addr, len(ids), upto)
}

// deltaKey names one bench delta: its session and number.
type deltaKey struct {
	session string
	n       int64
}

// sseProbe reads a Konsole's GET /v1/events directly, beside the bridge,
// and notes when each bench delta arrived.
type sseProbe struct {
	cancel context.CancelFunc
	done   chan struct{}
	at     map[deltaKey]int64
}

func startSSEProbe(k *konsoleProc) *sseProbe {
	ctx, cancel := context.WithCancel(context.Background())
	p := &sseProbe{cancel: cancel, done: make(chan struct{}), at: map[deltaKey]int64{}}
	req, _ := http.NewRequestWithContext(ctx, "GET", k.url()+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+k.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		defer resp.Body.Close()
		br := bufio.NewReaderSize(resp.Body, 64<<10)
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			recv := time.Now().UnixNano()
			if !bytes.HasPrefix(line, []byte("data: ")) || !bytes.Contains(line, deltaMarker) {
				continue
			}
			var e struct {
				SessionID string `json:"sessionId"`
				Data      struct {
					Text string `json:"text"`
				} `json:"data"`
			}
			if json.Unmarshal(line[6:], &e) != nil {
				continue
			}
			var n, t int64
			if _, err := fmt.Sscanf(e.Data.Text, "bench n=%d t=%d", &n, &t); err == nil {
				p.at[deltaKey{e.SessionID, n}] = recv
			}
		}
	}()
	return p
}

// stop ends the probe and returns when each delta reached it.
func (p *sseProbe) stop() map[deltaKey]int64 {
	p.cancel()
	<-p.done
	return p.at
}

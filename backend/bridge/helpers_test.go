package bridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/bridge"
)

// frame is a decoded server frame.
type frame struct {
	Type      string          `json:"type"`
	Seq       int64           `json:"seq"`
	KonsoleID string          `json:"konsoleId"`
	Event     json.RawMessage `json:"event"`
	State     string          `json:"state"`
	Ref       string          `json:"ref"`
	OK        bool            `json:"ok"`
	Error     string          `json:"error"`
	Code      string          `json:"code"`
	Result    json.RawMessage `json:"result"`
	Konsole   struct {
		State string `json:"state"`
	} `json:"konsole"`
	raw []byte
}

type event struct {
	ID     int64           `json:"id"`
	Type   string          `json:"type"`
	TurnID string          `json:"turnId"`
	Data   json.RawMessage `json:"data"`
}

func (f frame) ev() event {
	var e event
	json.Unmarshal(f.Event, &e)
	return e
}

func (e event) text() string {
	var d struct {
		Text   string `json:"text"`
		Reason string `json:"reason"`
	}
	json.Unmarshal(e.Data, &d)
	return d.Text + d.Reason
}

type bridgeHarness struct {
	t      *testing.T
	b      *bridge.Bridge
	srv    *httptest.Server
	token  string
	wsBase string
}

func quietLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startBridge(t *testing.T, konsoleURL, konsoleToken string, tweak func(*bridge.Config)) *bridgeHarness {
	t.Helper()
	cfg := bridge.Config{KonsoleURL: konsoleURL, KonsoleToken: konsoleToken, Token: "bridge-token",
		Backoff: bridge.Backoff{Min: 50 * time.Millisecond, Max: 400 * time.Millisecond, Jitter: 0.1}, Logger: quietLogger(t)}
	if tweak != nil {
		tweak(&cfg)
	}
	b, err := bridge.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.Start()
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })
	return &bridgeHarness{t: t, b: b, srv: srv, token: cfg.Token, wsBase: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

func (h *bridgeHarness) waitConnected() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.b.State().State != bridge.StateConnected {
		if time.Now().After(deadline) {
			h.t.Fatalf("bridge not connected to Konsole: %+v", h.b.State())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type wsClient struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan frame
	closed chan error
	seq    atomic.Int64
	ids    atomic.Int64
	// backlog holds frames that request read past while waiting for its
	// ack; until returns them first so that no frame is lost to a test.
	backlog []frame
}

func (h *bridgeHarness) dial(query string, header http.Header) (*wsClient, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, h.wsBase+"/api/console/ws?"+query, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(64 << 20)
	c := &wsClient{t: h.t, conn: conn, frames: make(chan frame, 100000), closed: make(chan error, 1)}
	go func() {
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				c.closed <- err
				close(c.frames)
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				c.closed <- fmt.Errorf("bad frame %q: %w", data, err)
				close(c.frames)
				return
			}
			f.raw = data
			if f.Seq > 0 && f.Type == "event" {
				c.seq.Store(f.Seq)
			}
			c.frames <- f
		}
	}()
	h.t.Cleanup(func() { conn.CloseNow() })
	return c, resp, nil
}

func (h *bridgeHarness) connect(query string) *wsClient {
	h.t.Helper()
	if query != "" {
		query = "&" + query
	}
	c, _, err := h.dial("token="+h.token+query, nil)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	hello := c.next(5 * time.Second)
	if hello.Type != "hello" {
		h.t.Fatalf("first frame %q, want hello", hello.Type)
	}
	return c
}

func (c *wsClient) next(timeout time.Duration) frame {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("connection closed: %v", <-c.closed)
		}
		return f
	case <-time.After(timeout):
		c.t.Fatalf("no frame within %s", timeout)
	}
	return frame{}
}

// until reads frames until match, skipping heartbeats and konsole frames unless asked.
func (c *wsClient) until(timeout time.Duration, match func(frame) bool) []frame {
	c.t.Helper()
	var got []frame
	for len(c.backlog) > 0 {
		f := c.backlog[0]
		c.backlog = c.backlog[1:]
		got = append(got, f)
		if match(f) {
			return got
		}
	}
	deadline := time.After(timeout)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("connection closed after %d frames: %v", len(got), <-c.closed)
			}
			got = append(got, f)
			if match(f) {
				return got
			}
		case <-deadline:
			c.t.Fatalf("timed out after %s with %d frames", timeout, len(got))
		}
	}
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	if err := c.conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

// request sends a request and waits for its ack.
func (c *wsClient) request(typ string, fields map[string]any) frame {
	c.t.Helper()
	id := fmt.Sprintf("r%d", c.ids.Add(1))
	m := map[string]any{"id": id, "type": typ}
	for k, v := range fields {
		m[k] = v
	}
	c.send(m)
	fs := c.until(10*time.Second, func(f frame) bool { return f.Type == "ack" && f.Ref == id })
	c.backlog = append(c.backlog, fs[:len(fs)-1]...)
	return fs[len(fs)-1]
}

func turnDone(turnID string) func(frame) bool {
	return func(f frame) bool {
		e := f.ev()
		return f.Type == "event" && e.Type == "turn.completed" && e.TurnID == turnID
	}
}

func closeCode(err error) websocket.StatusCode { return websocket.CloseStatus(err) }

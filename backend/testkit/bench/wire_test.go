package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/testkit/konsoletest"
)

// run is one measured stream of n text deltas at rate per second, through
// either the whole chain or the baseline.
type run struct {
	Rate, N int

	Sent        int           // deltas the producer wrote
	SendElapsed time.Duration // how long the producer took to write them
	SendMaxLag  time.Duration // the producer's largest delay behind its schedule

	Lat      dist     // latency of every delta received
	Received int      // deltas received
	Correct  int      // deltas received in order, in a frame whose seq follows the previous one
	SeqGaps  int      // event frames whose seq did not follow the previous frame's
	Resyncs  int      // resync frames
	Reasons  []string // their reasons
	Upstream int      // konsole frames saying the bridge lost Konsole (reconnects)
	Done     bool     // the end of the stream was seen (turn.completed / close)
	Err      error

	// CPU used during the run: this process (the baseline's producer and
	// reader; or Konsole, the bridge and the reader), and the agent process.
	CPUSelf, CPUAgent time.Duration
}

// CPUPerEvent is the CPU time spent per event sent, over every process of
// the path.
func (r *run) CPUPerEvent() time.Duration {
	if r.Sent == 0 {
		return 0
	}
	return (r.CPUSelf + r.CPUAgent) / time.Duration(r.Sent)
}

// us formats a duration in microseconds.
func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond)) }

// Lost is what was sent but not received correctly.
func (r *run) Lost() int {
	if r.Sent == 0 {
		return r.N - r.Correct
	}
	return r.Sent - r.Correct
}

// SendRate is the rate the producer achieved.
func (r *run) SendRate() float64 {
	if r.SendElapsed <= 0 {
		return 0
	}
	return float64(r.Sent) / r.SendElapsed.Seconds()
}

// maxBacklog is the largest latency a sustained rate may show: beyond it
// the receiver was falling behind the producer.
const maxBacklog = time.Second

// drainLimit is how long a reader waits for the end of a stream after the
// producer should have finished; a run that needs longer has failed anyway.
const drainLimit = 20 * time.Second

// Sustained tells whether the rate was held: everything arrived in order
// with no resync and no reconnect, the producer kept to at least 95% of the
// rate, and no event was more than maxBacklog late.
func (r *run) Sustained() (bool, string) {
	var why []string
	if r.Err != nil {
		why = append(why, r.Err.Error())
	}
	if !r.Done {
		why = append(why, "the end of the stream never came")
	}
	if l := r.Lost(); l != 0 {
		why = append(why, fmt.Sprintf("%d lost", l))
	}
	if r.SeqGaps > 0 {
		why = append(why, fmt.Sprintf("%d gaps in seq", r.SeqGaps))
	}
	if r.Resyncs+r.Upstream > 0 {
		w := fmt.Sprintf("%d bridge reconnects to Konsole", r.Upstream)
		if r.Resyncs > 0 {
			w += fmt.Sprintf(", %d resyncs (%s)", r.Resyncs, strings.Join(r.Reasons, ", "))
		}
		why = append(why, w)
	}
	if r.SendRate() < 0.95*float64(r.Rate) {
		why = append(why, fmt.Sprintf("the producer managed only %s", rate(r.SendRate())))
	}
	if m := r.Lat.max(); m > maxBacklog {
		why = append(why, fmt.Sprintf("an event took %s (falling behind)", ms(m)))
	}
	return len(why) == 0, strings.Join(why, "; ")
}

// ---- reading frames ----

var (
	eventPrefix   = []byte(`{"type":"event","seq":`)
	deltaMarker   = []byte(`bench n=`)
	completedMark = []byte(`"type":"turn.completed"`)
)

// leadingInt parses the decimal number at the start of b.
func leadingInt(b []byte) (int64, []byte) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	v, _ := strconv.ParseInt(string(b[:i]), 10, 64)
	return v, b[i:]
}

// reader follows one WebSocket and accounts its frames to the current run.
type reader struct {
	conn    *websocket.Conn
	lastSeq int64
}

// frame accounts one frame to r; it returns the data of turn.completed
// when the frame is one.
func (rd *reader) frame(data []byte, recv int64, r *run, next *int) (completed json.RawMessage) {
	if bytes.HasPrefix(data, eventPrefix) {
		seq, _ := leadingInt(data[len(eventPrefix):])
		seqOK := seq == rd.lastSeq+1
		if !seqOK {
			r.SeqGaps++
		}
		rd.lastSeq = seq
		if i := bytes.Index(data, deltaMarker); i >= 0 {
			n, rest := leadingInt(data[i+len(deltaMarker):])
			t, _ := leadingInt(bytes.TrimPrefix(rest, []byte(" t=")))
			r.Lat = append(r.Lat, time.Duration(recv-t))
			r.Received++
			if int(n) == *next && seqOK {
				r.Correct++
			}
			*next = int(n) + 1
			return nil
		}
		if bytes.Contains(data, completedMark) {
			var f struct {
				Event struct {
					Data json.RawMessage `json:"data"`
				} `json:"event"`
			}
			json.Unmarshal(data, &f)
			return f.Event.Data
		}
		return nil
	}
	var f struct {
		Type   string `json:"type"`
		Seq    int64  `json:"seq"`
		State  string `json:"state"`
		Reason string `json:"reason"`
	}
	json.Unmarshal(data, &f)
	switch f.Type {
	case "hello":
		rd.lastSeq = f.Seq
	case "resync":
		r.Resyncs++
		r.Reasons = append(r.Reasons, f.Reason)
		rd.lastSeq = f.Seq
	case "konsole":
		if f.State != bridge.StateConnected {
			r.Upstream++
		}
	}
	return nil
}

// ---- the baseline: frames written straight to a loopback WebSocket ----

// baseline is a tiny WebSocket server that, for each connection, writes n
// frames shaped like the bridge's text.delta frames at rate per second
// (both from the query), then closes normally.
type baseline struct {
	srv     *httptest.Server
	results chan run
}

func startBaseline(tb testing.TB) *baseline {
	bl := &baseline{results: make(chan run, 1)}
	bl.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rate, _ := strconv.Atoi(r.URL.Query().Get("rate"))
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		const id = "0b6f2c1e-7d4a-4e8b-9a51-3f2d6c8e1a90"
		at := time.Now().UTC().Format(time.RFC3339Nano)
		buf := make([]byte, 0, 512)
		sent := 0
		elapsed, lag, err := pace(rate, n, func(i int) error {
			buf = append(buf[:0], `{"type":"event","seq":`...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, `,"konsoleId":"local","event":{"id":`...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, `,"type":"text.delta","sessionId":"`+id+`","turnId":"`+id+`","at":"`+at+`","data":{"text":"`...)
			buf = appendDeltaText(buf, i, time.Now().UnixNano())
			buf = append(buf, `","turnId":"`+id+`"}}}`...)
			if err := c.Write(ctx, websocket.MessageText, buf); err != nil {
				return err
			}
			sent++
			return nil
		})
		bl.results <- run{Sent: sent, SendElapsed: elapsed, SendMaxLag: lag, Err: err}
		c.Close(websocket.StatusNormalClosure, "done")
	}))
	tb.Cleanup(bl.srv.Close)
	return bl
}

// measure streams n frames at rate and reads them all.
func (bl *baseline) measure(rate, n int) *run {
	r := &run{Rate: rate, N: n, Lat: make(dist, 0, n)}
	cpu0 := cpuSelf()
	defer func() { r.CPUSelf = cpuSelf() - cpu0 }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(bl.srv.URL, "http")+fmt.Sprintf("/?rate=%d&n=%d", rate, n), nil)
	cancel()
	if err != nil {
		r.Err = err
		return r
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20)
	rd := &reader{conn: conn}
	next := 1
	deadline := time.Now().Add(time.Duration(float64(n)/float64(rate)*float64(time.Second)) + drainLimit)
	ctx, cancel = context.WithDeadline(context.Background(), deadline)
	defer cancel()
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				r.Done = true
			} else {
				r.Err = err
			}
			break
		}
		rd.frame(data, time.Now().UnixNano(), r, &next)
	}
	select {
	case res := <-bl.results:
		r.Sent, r.SendElapsed, r.SendMaxLag = res.Sent, res.SendElapsed, res.SendMaxLag
		if res.Err != nil && r.Err == nil {
			r.Err = res.Err
		}
	case <-time.After(30 * time.Second):
		r.Err = errors.New("the baseline server never reported")
	}
	return r
}

// ---- the chain: agent stdout -> Konsole -> SSE -> bridge -> WebSocket ----

// chain is a real Konsole running the test binary as its agent, a real
// bridge following it, and one WebSocket client of the bridge.
type chain struct {
	h     *konsoletest.Harness
	br    *bridge.Bridge
	wsURL string
	sid   string
	rd    *reader // nil after a run that lost the WebSocket
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startBridge runs a bridge with token over the harness's Konsole, serves
// it on loopback and waits until it follows Konsole's events.
func startBridge(tb testing.TB, h *konsoletest.Harness, token string) (*bridge.Bridge, *httptest.Server) {
	tb.Helper()
	br, err := bridge.New(bridge.Config{KonsoleURL: h.URL, KonsoleToken: h.Token, Token: token, Logger: quiet()})
	if err != nil {
		tb.Fatal(err)
	}
	br.Start()
	srv := httptest.NewServer(br.Handler())
	tb.Cleanup(func() { br.Close(); srv.Close() })
	for deadline := time.Now().Add(60 * time.Second); br.State().State != bridge.StateConnected; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("the bridge did not connect to Konsole: %+v", br.State())
		}
	}
	return br, srv
}

func startChain(tb testing.TB) *chain {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	h := konsoletest.Start(tb, konsoletest.Options{Claude: exe, Configure: func(c *konsole.Config) {
		c.Env = append(os.Environ(), "KONUI_BENCH_AGENT=1")
	}})
	br, srv := startBridge(tb, h, "bench-token")
	c := &chain{h: h, br: br, wsURL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/console/ws?token=bench-token&clientId=bench"}
	if err := c.dial(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if c.rd != nil {
			c.rd.conn.CloseNow()
		}
	})
	c.sid = h.CreateSession()
	return c
}

// dial connects the WebSocket client (again, after a run that lost it)
// and reads its hello.
func (c *chain) dial() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, c.wsURL, nil)
	if err != nil {
		return err
	}
	conn.SetReadLimit(64 << 20)
	rd := &reader{conn: conn}
	_, hello, err := conn.Read(ctx)
	if err != nil {
		conn.CloseNow()
		return err
	}
	var scratch run
	next := 0
	rd.frame(hello, 0, &scratch, &next)
	c.rd = rd
	return nil
}

// ready waits (up to a minute) for the session to be idle and the client
// to be connected, after a run that failed half-way.
func (c *chain) ready() error {
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		_, s := c.h.Do("GET", "/v1/sessions/"+c.sid, nil)
		if s["status"] == sessions.StatusIdle {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the session is still %v", s["status"])
		}
	}
	if c.rd == nil {
		return c.dial()
	}
	return nil
}

// measure has the agent stream n deltas at rate and reads them from the
// bridge until the turn completes.
func (c *chain) measure(rate, n int) *run {
	r := &run{Rate: rate, N: n, Lat: make(dist, 0, n)}
	if r.Err = c.ready(); r.Err != nil {
		return r
	}
	pid := c.agentPID()
	cpu0, agent0 := cpuSelf(), cpuOf(pid)
	defer func() { r.CPUSelf, r.CPUAgent = cpuSelf()-cpu0, cpuOf(pid)-agent0 }()
	status, body := c.h.Do("POST", "/v1/sessions/"+c.sid+"/prompt", map[string]any{"text": agentPrompt(rate, n)})
	if status != http.StatusAccepted {
		r.Err = fmt.Errorf("prompt: HTTP %d %v", status, body)
		return r
	}
	turnID, _ := body["turnId"].(string)
	next := 1
	deadline := time.Now().Add(time.Duration(float64(n)/float64(rate)*float64(time.Second)) + drainLimit)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	for {
		_, data, err := c.rd.conn.Read(ctx)
		if err != nil {
			r.Err = fmt.Errorf("the WebSocket ended: %w", err)
			c.rd.conn.CloseNow()
			c.rd = nil
			return r
		}
		done := c.rd.frame(data, time.Now().UnixNano(), r, &next)
		if done == nil {
			continue
		}
		var tc struct {
			TurnID string `json:"turnId"`
			Reason string `json:"reason"`
			Result string `json:"result"`
			Error  string `json:"error"`
		}
		json.Unmarshal(done, &tc)
		if tc.TurnID != turnID {
			continue
		}
		r.Done = true
		var res agentResult
		if err := json.Unmarshal([]byte(tc.Result), &res); err != nil || tc.Reason != sessions.ReasonCompleted {
			r.Err = fmt.Errorf("the turn ended %s: %s%s", tc.Reason, tc.Error, tc.Result)
		}
		r.Sent, r.SendElapsed, r.SendMaxLag = res.Sent, time.Duration(res.ElapsedNs), time.Duration(res.MaxLagNs)
		return r
	}
}

// agentPID is the pid of the session's agent process (0 if unknown).
func (c *chain) agentPID() int {
	_, s := c.h.Do("GET", "/v1/sessions/"+c.sid, nil)
	pid, _ := s["agentPid"].(float64)
	return int(pid)
}

// probe follows Konsole's GET /v1/events directly, beside the bridge, and
// records the latency of every bench delta from the agent's stdout to this
// SSE client. stop ends it and returns the sample.
func (c *chain) probe() (stop func() dist) {
	ctx, cancel := context.WithCancel(context.Background())
	var lat dist
	done := make(chan struct{})
	req, _ := http.NewRequestWithContext(ctx, "GET", c.h.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+c.h.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return func() dist { return nil }
	}
	go func() {
		defer close(done)
		defer resp.Body.Close()
		br := bufio.NewReaderSize(resp.Body, 64<<10)
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			recv := time.Now().UnixNano()
			if i := bytes.Index(line, deltaMarker); i >= 0 {
				_, rest := leadingInt(line[i+len(deltaMarker):])
				t, _ := leadingInt(bytes.TrimPrefix(rest, []byte(" t=")))
				lat = append(lat, time.Duration(recv-t))
			}
		}
	}()
	return func() dist {
		cancel()
		<-done
		return lat
	}
}

package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/shared/httpjson"
)

// WebSocket close codes the bridge uses besides the standard ones.
const (
	CloseReplaced = 4000 // another connection with the same clientId took over
	CloseOverflow = 4001 // the client fell behind; reconnect with since
	CloseStale    = 4002 // nothing heard from the client for too long
	CloseShutdown = 4003 // the bridge is shutting down or switching Konsole
)

// client is one WebSocket connection with its own bounded send queue.
type client struct {
	id       string
	conn     *websocket.Conn
	q        chan []byte
	lastSeen atomic.Int64

	closeOnce sync.Once
	closed    chan struct{}
	code      int
	reason    string
}

func (c *client) send(b []byte) bool {
	select {
	case c.q <- b:
		return true
	default:
		return false
	}
}

// close asks the writer to close the connection with code; idempotent.
func (c *client) close(code int, reason string) {
	c.closeOnce.Do(func() {
		c.code, c.reason = code, reason
		close(c.closed)
	})
}

// drop detaches c at once (it stops counting and receiving) and closes it.
func (b *Bridge) drop(c *client, code int, reason string) {
	b.hub.detach(c)
	c.close(code, reason)
}

func (c *client) seen() { c.lastSeen.Store(time.Now().UnixNano()) }

func (b *Bridge) serveWS(w http.ResponseWriter, r *http.Request) {
	since := int64(-1)
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			httpjson.Error(w, http.StatusBadRequest, "bad_request", "since must be a non-negative integer")
			return
		}
		since = n
	}
	c := &client{id: r.URL.Query().Get("clientId"), q: make(chan []byte, b.cfg.ReplayFrames+b.cfg.ClientQueue), closed: make(chan struct{})}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns:  b.wsHosts,
		OnPongReceived:  func(context.Context, []byte) { c.seen() },
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		b.lg.Info("refused a WebSocket", "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	conn.SetReadLimit(b.cfg.ReadLimit)
	c.conn = conn
	c.seen()
	b.hub.attach(c, since, b.cfg.HeartbeatInterval)
	defer b.hub.detach(c)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); b.writeLoop(ctx, c) }()
	go func() { defer wg.Done(); b.keepAlive(ctx, c) }()
	b.readLoop(ctx, c)
	cancel()
	wg.Wait()
}

func (b *Bridge) writeLoop(ctx context.Context, c *client) {
	defer c.conn.CloseNow()
	for {
		// A close goes before anything still queued: a dropped client must
		// learn why (4001: resume) as soon as its socket has room.
		select {
		case <-c.closed:
			c.conn.Close(websocket.StatusCode(c.code), c.reason)
			return
		default:
		}
		select {
		case data := <-c.q:
			wctx, cancel := context.WithTimeout(ctx, b.cfg.WriteTimeout)
			err := c.conn.Write(wctx, websocket.MessageText, data)
			cancel()
			if err != nil {
				b.drop(c, int(websocket.StatusGoingAway), "write failed")
				return
			}
		case <-c.closed:
			c.conn.Close(websocket.StatusCode(c.code), c.reason)
			return
		case <-ctx.Done():
			return
		}
	}
}

// keepAlive sends the app-level heartbeat and a ping every interval and
// drops the client when nothing (frame or pong) came for StaleAfter.
func (b *Bridge) keepAlive(ctx context.Context, c *client) {
	check := b.cfg.StaleAfter / 3
	if check > b.cfg.HeartbeatInterval {
		check = b.cfg.HeartbeatInterval
	}
	tick := time.NewTicker(check)
	defer tick.Stop()
	lastBeat := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.closed:
			return
		case now := <-tick.C:
			if now.Sub(time.Unix(0, c.lastSeen.Load())) > b.cfg.StaleAfter {
				b.lg.Info("dropping a stale WebSocket client", "clientId", c.id)
				b.drop(c, CloseStale, "stale: nothing received for "+b.cfg.StaleAfter.String())
				return
			}
			if now.Sub(lastBeat) >= b.cfg.HeartbeatInterval {
				lastBeat = now
				if !c.send(mustJSON(map[string]any{"type": "heartbeat", "at": now.UTC().Format(time.RFC3339Nano)})) {
					b.drop(c, CloseOverflow, "too slow: reconnect with since to resume")
					return
				}
				go func() {
					pctx, cancel := context.WithTimeout(ctx, b.cfg.HeartbeatInterval)
					defer cancel()
					// Its outcome is not needed here: a client that sends nothing
					// is dropped as stale above.
					_ = c.conn.Ping(pctx)
				}()
			}
		}
	}
}

func (b *Bridge) readLoop(ctx context.Context, c *client) {
	sem := make(chan struct{}, 16)
	for {
		typ, data, err := c.conn.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) && ce.Code == websocket.StatusMessageTooBig {
				b.lg.Info("closed a WebSocket that sent an oversized frame", "clientId", c.id)
			}
			c.close(int(websocket.StatusNormalClosure), "")
			return
		}
		c.seen()
		if typ != websocket.MessageText {
			c.send(ackJSON("", nil, badRequest("frames must be JSON text")))
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		go func() {
			defer func() { <-sem }()
			if !c.send(b.handleRequest(ctx, data)) {
				b.drop(c, CloseOverflow, "too slow: reconnect with since to resume")
			}
		}()
	}
}

// ackJSON is the answer to request ref: ok with result, or the sentence and
// machine-readable code of err (an *APIError; anything else is "internal").
func ackJSON(ref string, result json.RawMessage, err error) []byte {
	a := map[string]any{"type": "ack", "ref": ref, "ok": err == nil}
	if len(result) > 0 && err == nil {
		a["result"] = result
	}
	if err != nil {
		code := CodeInternal
		var e *APIError
		if errors.As(err, &e) && e.Code != "" {
			code = e.Code
		}
		a["error"], a["code"] = err.Error(), code
	}
	return mustJSON(a)
}

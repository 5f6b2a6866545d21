package hub

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/shared/httpjson"
)

// WebSocket close codes the hub uses besides the standard ones.
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
func (h *Hub) drop(c *client, code int, reason string) {
	h.detach(c)
	c.close(code, reason)
}

// seen notes that something came from the client, by the hub's clock.
func (h *Hub) seen(c *client) { c.lastSeen.Store(h.opts.Clock.Now().UnixNano()) }

// ServeWS upgrades a request to a client of the hub and serves it until
// it ends: ?since= asks for the replay after that frame, ?clientId= takes
// over a connection with the same id. The caller checks the token and the
// origin first.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request) {
	since := int64(-1)
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			httpjson.Error(w, http.StatusBadRequest, "bad_request", "since must be a non-negative integer")
			return
		}
		since = n
	}
	c := &client{id: r.URL.Query().Get("clientId"), q: make(chan []byte, h.opts.ReplayFrames+h.opts.ClientQueue), closed: make(chan struct{})}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns:  h.opts.OriginHosts,
		OnPongReceived:  func(context.Context, []byte) { h.seen(c) },
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		h.opts.Logger.Info("refused a WebSocket", "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	conn.SetReadLimit(h.opts.ReadLimit)
	c.conn = conn
	h.seen(c)
	h.attach(c, since, h.opts.HeartbeatInterval)
	defer h.detach(c)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); h.writeLoop(ctx, c) }()
	go func() { defer wg.Done(); h.keepAlive(ctx, c) }()
	h.readLoop(ctx, c)
	cancel()
	wg.Wait()
}

func (h *Hub) writeLoop(ctx context.Context, c *client) {
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
			wctx, cancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
			err := c.conn.Write(wctx, websocket.MessageText, data)
			cancel()
			if err != nil {
				h.drop(c, int(websocket.StatusGoingAway), "write failed")
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

func (h *Hub) readLoop(ctx context.Context, c *client) {
	sem := make(chan struct{}, 16)
	for {
		typ, data, err := c.conn.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) && ce.Code == websocket.StatusMessageTooBig {
				h.opts.Logger.Info("closed a WebSocket that sent an oversized frame", "clientId", c.id)
			}
			c.close(int(websocket.StatusNormalClosure), "")
			return
		}
		h.seen(c)
		if typ != websocket.MessageText {
			c.send(h.opts.NotText)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		go func() {
			defer func() { <-sem }()
			if !c.send(h.opts.Request(ctx, data)) {
				h.drop(c, CloseOverflow, "too slow: reconnect with since to resume")
			}
		}()
	}
}

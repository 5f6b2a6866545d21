package hub

import (
	"context"
	"time"
)

// keepAlive sends the app-level heartbeat and a ping every interval and
// drops the client when nothing (frame or pong) came for StaleAfter. Its
// time is the hub's clock: a test moves it and sees the drop that
// StaleAfter stands for, without waiting for it.
func (h *Hub) keepAlive(ctx context.Context, c *client) {
	check := h.opts.StaleAfter / 3
	if check > h.opts.HeartbeatInterval {
		check = h.opts.HeartbeatInterval
	}
	tick := h.opts.Clock.NewTicker(check)
	defer tick.Stop()
	lastBeat := h.opts.Clock.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.closed:
			return
		case now := <-tick.C():
			if now.Sub(time.Unix(0, c.lastSeen.Load())) > h.opts.StaleAfter {
				h.opts.Logger.Info("dropping a stale WebSocket client", "clientId", c.id)
				h.drop(c, CloseStale, "stale: nothing received for "+h.opts.StaleAfter.String())
				return
			}
			if now.Sub(lastBeat) >= h.opts.HeartbeatInterval {
				lastBeat = now
				if !c.send(Encode(map[string]any{"type": "heartbeat", "at": now.UTC().Format(time.RFC3339Nano)})) {
					h.drop(c, CloseOverflow, "too slow: reconnect with since to resume")
					return
				}
				// The ping waits for its pong (a pong is "seen" whenever
				// it comes); it ends with the connection at the latest.
				go func() {
					pctx, cancel := context.WithTimeout(ctx, h.opts.HeartbeatInterval)
					defer cancel()
					// Its outcome is not needed here: a client that sends nothing
					// is dropped as stale above.
					_ = c.conn.Ping(pctx)
				}()
			}
		}
	}
}

package hub

import (
	"context"
	"log/slog"
	"time"

	"github.com/konui/konui/backend/shared/clock"
	"github.com/konui/konui/backend/shared/defaults"
)

// Options configure a hub. Zero durations and sizes take the defaults
// noted beside them.
type Options struct {
	ReplayFrames      int           // frames kept for since, 20,000
	ReplayBytes       int           // and their bytes at most, 32 MiB
	ClientQueue       int           // extra queue beyond the replay size, 4,096
	ReadLimit         int64         // largest client frame, 1 MiB
	WriteTimeout      time.Duration // one frame write, 10 s
	HeartbeatInterval time.Duration // app heartbeat and ping, 30 s
	StaleAfter        time.Duration // drop a silent client, 90 s
	// OriginHosts are the patterns given to the WebSocket library's own
	// origin check (the caller checks the origin before, as on every route).
	OriginHosts []string
	// Primary is the id of the Konsole hello describes when it is on the
	// list (else the first one is).
	Primary string
	// Request answers one text frame of a client with exactly one frame
	// (its ack); it runs on a goroutine of its own, at most 16 at a time
	// per client. NotText is the frame a client gets for a binary frame.
	Request func(ctx context.Context, data []byte) []byte
	NotText []byte
	// Clock gives the keep-alive its time and ticks: tests drive it;
	// nil is the real clock.
	Clock  clock.Clock
	Logger *slog.Logger
}

func (o *Options) defaults() {
	defaults.Set(&o.WriteTimeout, 10*time.Second)
	defaults.Set(&o.HeartbeatInterval, 30*time.Second)
	defaults.Set(&o.StaleAfter, 90*time.Second)
	defaults.Set(&o.ReplayFrames, 20_000)
	defaults.Set(&o.ReplayBytes, 32<<20)
	defaults.Set(&o.ClientQueue, 4096)
	defaults.Set(&o.ReadLimit, 1<<20)
	if o.Request == nil {
		// A hub that takes no requests still answers each with one frame.
		refuse := Encode(map[string]any{"type": "ack", "ref": "", "ok": false, "error": "this hub takes no requests", "code": "bad_request"})
		o.Request = func(context.Context, []byte) []byte { return refuse }
	}
	if o.NotText == nil {
		o.NotText = Encode(map[string]any{"type": "ack", "ref": "", "ok": false, "error": "frames must be JSON text", "code": "bad_request"})
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

package bridge

import (
	"github.com/konui/konui/backend/bridge/hub"
	"github.com/konui/konui/backend/bridge/notify"
	"github.com/konui/konui/backend/bridge/upstream"
)

// The bridge's own names for what its parts define, so that callers (the
// desktop app, the CLI) need only this package.
type (
	// KonsoleState is the bridge's view of one Konsole connection.
	KonsoleState = upstream.State
	// Backoff is the reconnect schedule: Min doubling to Max, with jitter.
	Backoff = upstream.Backoff
	// KonsoleInfo is one Konsole as GET /api/konsoles, hello and the
	// konsoles frame show it.
	KonsoleInfo = hub.KonsoleInfo
	// Kontask is what a Notifier hears about a new kontask.
	Kontask = notify.Kontask
	// Notifier is told about new kontasks, for desktop notifications (see
	// notify.Notifier).
	Notifier = notify.Notifier
)

// Konsole connection states, as sent in "konsole" frames.
const (
	StateConnecting   = upstream.StateConnecting
	StateConnected    = upstream.StateConnected
	StateReconnecting = upstream.StateReconnecting
	StateDown         = upstream.StateDown
)

// WebSocket close codes the bridge uses besides the standard ones.
const (
	CloseReplaced = hub.CloseReplaced // another connection with the same clientId took over
	CloseOverflow = hub.CloseOverflow // the client fell behind; reconnect with since
	CloseStale    = hub.CloseStale    // nothing heard from the client for too long
	CloseShutdown = hub.CloseShutdown // the bridge is shutting down or switching Konsole
)

// Package bridge is Konui: it follows Konsole's event stream over SSE and
// serves the dashboard's WebSocket, the REST API proxied under /api/ and,
// optionally, the dashboard itself.
//
// Start reading at Bridge (bridge.go). Upstream (upstream.go) is the SSE
// client with its reconnect loop and watchdog; the hub (hub.go) numbers
// frames and keeps the replay buffer; ws.go is one WebSocket client with its
// own bounded send queue; requests.go forwards client requests to Konsole;
// notify.go tells a Notifier about each new kontask exactly once.
package bridge

// Package hub is the bridge's WebSocket side: it numbers the frames that
// go to the dashboard's clients, keeps the newest for a client that
// resumes with ?since=, keeps the list of Konsoles the clients see, and
// serves each client with its own bounded send queue, heartbeat and stale
// check.
//
// Start reading at Hub (hub.go): PublishEvent and attach are the two ends
// of a frame. client.go is one WebSocket connection (its read and write
// loops); keepalive.go its heartbeat, ping and stale drop, timed by
// Options.Clock; konsoles.go the Konsoles' list and states.
package hub

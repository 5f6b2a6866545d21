// Package konsole is the session manager: it runs one Claude Code process
// per session, records everything that happens in a durable event log, and
// serves the Konsole HTTP API (v1) with its SSE event stream.
//
// Start reading at Server (server.go), which wires the Log (log.go), the
// Manager (manager.go, session.go) and the HTTP routes (api.go, sse.go).
// The wire contract is written down in docs/protocol.md.
package konsole

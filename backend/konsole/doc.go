// Package konsole is the session manager: it runs one Claude Code process
// per session, records everything that happens in a durable event log, and
// serves the Konsole HTTP API (v1) with its SSE event stream.
//
// Start reading at Server (server.go), which wires the Log (log.go), the
// Manager (manager.go, session.go) and the HTTP routes (api.go, sse.go).
// Kontasks are stored and announced in kontasks.go, served over REST in
// kontasks_api.go and to the agents over MCP in mcp.go, which also gives
// every agent its --mcp-config and its session's MCP token; what a kontask
// is and its rules are in backend/kontask.
// The wire contract is written down in docs/protocol.md.
package konsole

// Package konsole is Konsole's HTTP side: it wires the event log, the
// sessions and the kontasks into one Server and serves the Konsole HTTP API
// (v1), its SSE event stream and the agents' /mcp endpoint.
//
// Start reading at Server (server.go), which opens the data folder and
// builds the parts: the event log (backend/konsole/eventlog), the session manager
// (backend/konsole/sessions) and the kontasks with their MCP server
// (backend/konsole/kontaskmcp). The routes are in api.go and the api_*.go files
// beside it (kontasks_api.go for kontasks); authentication, the refusal of
// browsers and of exposed tokens, and the storage errors are here too.
// Errors are apierror.Errors. The wire contract is written down in
// docs/protocol.md.
package konsole

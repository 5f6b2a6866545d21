// Package kontaskmcp keeps Konsole's kontasks and serves them to the agents
// over MCP: it stores each kontask, announces every change in the event
// log, and answers the kontask tools that every agent gets with its
// session's MCP token, within a rate per session.
//
// Start reading at Service (service.go); Create, Get, Update and List
// (kontasks.go) are what Konsole's REST API calls too. Handler (mcp.go)
// serves /mcp, the tools are in tools.go, PrepareAgent (agent.go) gives an
// agent its --mcp-config, and token.go makes and checks the tokens. What a
// kontask is and its rules are in backend/konsole/kontask; the REST routes are
// backend/konsole's.
package kontaskmcp

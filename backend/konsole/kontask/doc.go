// Package kontask is the kontask itself: a card an agent delivers to its
// user, with a rich HTML result and choices whose values become the user's
// next prompt.
//
// Start reading at Kontask (kontask.go) for the wire shape, then Validate
// (validate.go) for the rules every creator goes through, whether it is the
// agent calling the MCP tool or anything posting to Konsole's REST API.
// Tool (tool.go) describes the MCP tools to the agent. Storage, events and
// the MCP server live in backend/konsole/kontaskmcp, the REST routes in
// backend/konsole.
package kontask

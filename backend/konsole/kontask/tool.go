package kontask

import (
	"encoding/json"
	"fmt"
)

// ServerName is the MCP server name Konsole gives itself in the agent's
// --mcp-config; Claude Code prefixes its tools with mcp__<server>__.
const ServerName = "konsole"

// Names of the MCP tools, as served and as Claude Code sees them.
const (
	ToolCreate = "kontask_create"
	ToolList   = "kontask_list"
	ToolUpdate = "kontask_update"

	ClaudeToolCreate = "mcp__" + ServerName + "__" + ToolCreate
	ClaudeToolList   = "mcp__" + ServerName + "__" + ToolList
	ClaudeToolUpdate = "mcp__" + ServerName + "__" + ToolUpdate
)

// ClaudeTools are the tool names an agent session is allowed to call
// without asking (its --allowedTools).
var ClaudeTools = []string{ClaudeToolCreate, ClaudeToolList, ClaudeToolUpdate}

// CreateDescription tells the agent what a kontask is for and how to write one.
var CreateDescription = fmt.Sprintf(`Deliver a kontask to the user: a card in their Konui dashboard (with a desktop notification) that presents a result and asks what to do next.

Use it when you finish a piece of work, produce a report, or need the user's decision. The card shows:
- title: a short headline (required, at most %d characters, one line).
- description: one or two sentences of summary (plain text).
- output: the full result as self-contained HTML (at most 1 MiB). Use inline styles; it is shown in a sandboxed frame where scripts do not run and nothing external loads.
- choices: up to %d buttons. When the user clicks one, its value is sent back to you, verbatim, as the user's next prompt in this session, so write each value as a complete instruction. Mark the recommended one "primary".
- type (default "general"), scope (a project or area, no spaces), tags (short words), status (pending by default; "completed" for a pure report, "dismissed" to withdraw).

Konsole records which session and turn created it. The result names the kontask's id; invalid input is refused with a sentence saying what to fix, and nothing is created.`, MaxTitle, MaxChoices)

// ListDescription describes kontask_list.
const ListDescription = `List kontasks delivered to the user, newest first, without their HTML output: id, title, status, whether the user read it, and the choice labels. By default only this session's kontasks; set all to true for every session's. Filters: status, scope, tag, q (text in title or description), limit (default 20, at most 50).`

// UpdateDescription describes kontask_update.
const UpdateDescription = `Change the status of a kontask this session created: "completed" when its question has been settled some other way, "dismissed" to withdraw it, "pending" to reopen it.`

// CreateSchema is the JSON Schema of kontask_create's input.
var CreateSchema = json.RawMessage(fmt.Sprintf(`{
  "type": "object",
  "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": %d, "description": "Short headline of the card."},
    "description": {"type": "string", "maxLength": %d, "description": "One or two sentences of summary."},
    "output": {"type": "string", "description": "The result as self-contained HTML with inline styles (at most 1 MiB). Scripts do not run."},
    "choices": {
      "type": "array", "maxItems": %d,
      "description": "Buttons offered to the user; the chosen value comes back to you as the next prompt.",
      "items": {
        "type": "object",
        "properties": {
          "label": {"type": "string", "minLength": 1, "maxLength": %d, "description": "Text on the button."},
          "value": {"type": "string", "minLength": 1, "maxLength": %d, "description": "The prompt sent to you when the user picks it."},
          "primary": {"type": "boolean", "description": "The recommended choice."}
        },
        "required": ["label", "value"]
      }
    },
    "type": {"type": "string", "description": "Kind of card, lowercase (default general)."},
    "scope": {"type": "string", "maxLength": %d, "description": "Project or area it belongs to, no spaces."},
    "tags": {"type": "array", "maxItems": %d, "items": {"type": "string", "maxLength": %d}, "description": "Short keywords, no spaces."},
    "status": {"type": "string", "enum": ["pending", "completed", "dismissed"], "description": "Default pending."},
    "targetUser": {"type": "string", "maxLength": %d, "description": "Who the card is for, when not the session's user."}
  },
  "required": ["title"]
}`, MaxTitle, MaxDescription, MaxChoices, MaxLabel, MaxValue, MaxScope, MaxTags, MaxTag, MaxName))

// ListSchema is the JSON Schema of kontask_list's input.
var ListSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "status": {"type": "string", "enum": ["pending", "completed", "dismissed"]},
    "scope": {"type": "string"},
    "tag": {"type": "string"},
    "q": {"type": "string", "description": "Text to find in title or description."},
    "all": {"type": "boolean", "description": "Every session's kontasks, not only this session's."},
    "limit": {"type": "integer", "minimum": 1, "maximum": 50}
  }
}`)

// UpdateSchema is the JSON Schema of kontask_update's input.
var UpdateSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "id": {"type": "string", "description": "The kontask's id."},
    "status": {"type": "string", "enum": ["pending", "completed", "dismissed"]}
  },
  "required": ["id", "status"]
}`)

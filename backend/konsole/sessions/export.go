package sessions

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/store"
	"regexp"
	"strings"
	"time"
)

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ExportName is a file name for a session's export: its title made safe,
// and the start of its id.
func ExportName(s Session) string {
	name := strings.Trim(unsafeName.ReplaceAllString(s.Title, "-"), "-.")
	if len(name) > 60 {
		name = name[:60]
	}
	id := s.ID
	if len(id) > 8 {
		id = id[:8]
	}
	if name == "" {
		return "session-" + id
	}
	return name + "-" + id
}

// fence returns a code fence longer than any run of backticks in text.
func fence(text string) string {
	longest, run := 0, 0
	for _, c := range text {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func codeBlock(b *bytes.Buffer, lang, text string) {
	f := fence(text)
	fmt.Fprintf(b, "%s%s\n%s\n%s\n\n", f, lang, strings.TrimRight(text, "\n"), f)
}

// Markdown renders a session's transcript: its prompts and answers as
// text, tool calls and their results as code blocks, and each turn's end
// with its cost and duration.
func Markdown(s Session, msgs []store.MessageRow) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", strings.TrimSpace(s.Title))
	fmt.Fprintf(&b, "- Folder: `%s`\n- Started: %s\n- Cost: $%.4f\n", s.Cwd, s.CreatedAt.UTC().Format(time.RFC3339), s.TotalCostUSD)
	if s.Usage != nil {
		fmt.Fprintf(&b, "- Tokens: %d in, %d out, %d cache read, %d cache write\n", s.Usage.InputTokens, s.Usage.OutputTokens, s.Usage.CacheReadTokens, s.Usage.CacheWriteTokens)
	}
	b.WriteString("\n")
	last := ""
	for _, m := range msgs {
		var blocks []map[string]json.RawMessage
		// a message that does not decode exports nothing, as the blocks below skip what they do not know.
		_ = json.Unmarshal(m.Content, &blocks)
		for _, blk := range blocks {
			var typ string
			_ = json.Unmarshal(blk["type"], &typ)
			switch typ {
			case "text":
				heading := "## Claude"
				if m.Role == "user" {
					heading = "## You"
				}
				if heading != last {
					b.WriteString(heading + "\n\n")
					last = heading
				}
				b.WriteString(strings.TrimSpace(jsonText(blk["text"])) + "\n\n")
			case "tool_use":
				fmt.Fprintf(&b, "**Tool: %s**\n\n", jsonText(blk["name"]))
				var in bytes.Buffer
				if err := json.Indent(&in, blk["input"], "", "  "); err != nil {
					in.Reset()
					in.Write(blk["input"])
				}
				codeBlock(&b, "json", in.String())
			case "tool_result":
				b.WriteString("**Result**\n\n")
				text := jsonText(blk["content"])
				if text == "" {
					text = store.MessageText([]byte(`[{"type":"tool_result","content":` + string(orNull(blk["content"])) + `}]`))
				}
				codeBlock(&b, "text", text)
			case contract.EvTurnCompleted:
				var end struct {
					Reason     string  `json:"reason"`
					CostUSD    float64 `json:"costUsd"`
					DurationMs int64   `json:"durationMs"`
					Error      string  `json:"error"`
				}
				raw, _ := json.Marshal(blk)
				// raw is blk marshalled just above
				_ = json.Unmarshal(raw, &end)
				line := fmt.Sprintf("*Turn %s · $%.4f · %.1f s*", end.Reason, end.CostUSD, float64(end.DurationMs)/1000)
				if end.Error != "" {
					line += " — " + end.Error
				}
				b.WriteString(line + "\n\n---\n\n")
				last = ""
			case contract.EvSessionRewound:
				var mark struct {
					MessageID    int64 `json:"messageId"`
					Files        bool  `json:"files"`
					Conversation bool  `json:"conversation"`
				}
				raw, _ := json.Marshal(blk)
				if json.Unmarshal(raw, &mark) != nil {
					continue
				}
				what := map[[2]bool]string{{true, true}: "files and conversation", {true, false}: "files", {false, true}: "conversation"}[[2]bool{mark.Files, mark.Conversation}]
				fmt.Fprintf(&b, "*Rewound (%s) to just before prompt %d*\n\n---\n\n", what, mark.MessageID)
				last = ""
			}
		}
	}
	return b.Bytes()
}

func jsonText(raw json.RawMessage) string {
	var s string
	// a value that is not a string exports as empty.
	_ = json.Unmarshal(raw, &s)
	return s
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

package fakeapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Commands understood by DefaultScript inside a user prompt. They let tests in
// any language (Go, Playwright) drive the real CLI through known behaviour:
//
//	[[bash: CMD]]            call the Bash tool with CMD, then report its output
//	[[long N]]               stream N words, 20 ms apart (a long answer to stop)
//	[[long N MS]]            the same, MS milliseconds apart (5 = 200 deltas/s)
//	[[kontask: JSON]]        call mcp__konsole__kontask_create with JSON input
//	[[tool NAME: JSON]]      call any tool with JSON input
//	[[usage IN OUT CR CW]]   report these input, output, cache read and cache
//	                         write tokens for the reply (beside any other command)
//	anything else            answer "Echo: <prompt>" in a few chunks
//
// The JSON of kontask and tool may hold ']' (arrays): its end is found by
// decoding it, not by the first "]]".
var commandRE = regexp.MustCompile(`\[\[(bash|long|kontask|tool)([^\]]*)\]\]`)

var jsonCommandRE = regexp.MustCompile(`\[\[(kontask|tool)\b`)

// jsonCommand finds [[kontask: JSON]] or [[tool NAME: JSON]] in text and
// returns the command, the tool name (for tool) and the JSON.
func jsonCommand(text string) (cmd, name, js string, ok bool) {
	loc := jsonCommandRE.FindStringSubmatchIndex(text)
	if loc == nil {
		return "", "", "", false
	}
	cmd = text[loc[2]:loc[3]]
	rest := text[loc[1]:]
	colon := strings.IndexByte(rest, ':')
	if colon < 0 {
		return "", "", "", false
	}
	name = strings.TrimSpace(rest[:colon])
	body := rest[colon+1:]
	dec := json.NewDecoder(strings.NewReader(body))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return "", "", "", false
	}
	end := int(dec.InputOffset())
	if !strings.HasPrefix(strings.TrimSpace(body[end:]), "]]") {
		return "", "", "", false
	}
	return cmd, name, string(v), true
}

// DefaultScript answers by the commands above.
func DefaultScript(r *Request) Reply {
	reply := defaultReply(r)
	if u, ok := usageCommand(r.LastUser().Prompt); ok && len(r.NewResults) == 0 {
		reply.Usage = &u
	}
	return reply
}

var usageRE = regexp.MustCompile(`\[\[usage (\d+) (\d+) (\d+) (\d+)\]\]`)

// usageCommand finds [[usage IN OUT CR CW]] in text.
func usageCommand(text string) (Usage, bool) {
	m := usageRE.FindStringSubmatch(text)
	if m == nil {
		return Usage{}, false
	}
	n := make([]int, 4)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return Usage{Input: n[0], Output: n[1], CacheRead: n[2], CacheWrite: n[3]}, true
}

func defaultReply(r *Request) Reply {
	last := r.LastUser()
	if len(r.NewResults) > 0 {
		var parts []string
		for _, tr := range r.NewResults {
			status := "ok"
			if tr.IsError {
				status = "error"
			}
			parts = append(parts, fmt.Sprintf("Tool result (%s): %s", status, strings.TrimSpace(tr.Content)))
		}
		return Reply{Blocks: []Block{{Text: strings.Join(parts, "\n")}}, ChunkWords: 3}
	}
	text := last.Prompt
	if cmd, name, js, ok := jsonCommand(text); ok {
		if cmd == "kontask" {
			name = "mcp__konsole__kontask_create"
		}
		return Reply{Blocks: []Block{{Tool: &ToolUse{Name: name, Input: jsonArg(js)}}}}
	}
	m := commandRE.FindStringSubmatch(text)
	if m == nil {
		return Reply{Blocks: []Block{{Text: "Echo: " + text}}, ChunkWords: 2}
	}
	arg := strings.TrimSpace(strings.TrimPrefix(m[2], ":"))
	switch m[1] {
	case "bash":
		return Reply{Blocks: []Block{{Text: "Running it. "}, {Tool: &ToolUse{Name: "Bash",
			Input: map[string]any{"command": arg, "description": "Run the requested command"}}}}}
	case "long":
		fields := strings.Fields(arg)
		n, delay := 500, 20*time.Millisecond
		if len(fields) > 0 {
			if v, err := strconv.Atoi(fields[0]); err == nil && v > 0 {
				n = v
			}
		}
		if len(fields) > 1 {
			if v, err := strconv.Atoi(fields[1]); err == nil && v >= 0 {
				delay = time.Duration(v) * time.Millisecond
			}
		}
		words := make([]string, n)
		for i := range words {
			words[i] = fmt.Sprintf("word%d", i+1)
		}
		return Reply{Blocks: []Block{{Text: strings.Join(words, " ")}}, ChunkDelay: delay}
	case "kontask":
		return Reply{Blocks: []Block{{Tool: &ToolUse{Name: "mcp__konsole__kontask_create", Input: jsonArg(arg)}}}}
	case "tool":
		name, js, _ := strings.Cut(strings.TrimSpace(m[2]), ":")
		return Reply{Blocks: []Block{{Tool: &ToolUse{Name: strings.TrimSpace(name), Input: jsonArg(js)}}}}
	}
	return Reply{Blocks: []Block{{Text: "Echo: " + text}}}
}

func jsonArg(s string) any {
	var v any
	if err := json.Unmarshal([]byte(strings.TrimSpace(s)), &v); err != nil {
		return map[string]any{"raw": s}
	}
	return v
}

// promptOf drops the system reminders the CLI adds to a user message.
func promptOf(text string) string {
	out := text
	for {
		i := strings.Index(out, "<system-reminder>")
		if i < 0 {
			break
		}
		j := strings.Index(out[i:], "</system-reminder>")
		if j < 0 {
			out = out[:i]
			break
		}
		out = out[:i] + out[i+j+len("</system-reminder>"):]
	}
	return strings.TrimSpace(out)
}

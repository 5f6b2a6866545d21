// Package history reads the conversations that the Claude Code CLI keeps
// on this machine, ~/.claude/projects/<folder>/<session id>.jsonl, so that
// Konsole can list them, show one and continue or fork it.
//
// Start reading at List and Read. The files belong to the CLI: this
// package only reads them, never more than MaxFileBytes of a file nor a
// line longer than MaxLineBytes, and it skips every line it does not
// understand (the CLI writes many kinds of entry; only user and assistant
// messages of the main chain are a conversation's messages).
package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/konui/konui/backend/shared/textclip"
)

// Bounds on what is read of one conversation file.
const (
	MaxFileBytes = 256 << 20
	MaxLineBytes = 32 << 20
)

// lineLimit is MaxLineBytes, lowered by tests.
var lineLimit = MaxLineBytes

// ErrNotFound is returned by Read for a conversation that is not there.
var ErrNotFound = errors.New("no such conversation")

// Conversation is one conversation file of the CLI.
type Conversation struct {
	AgentSessionID string    `json:"agentSessionId"`
	Cwd            string    `json:"cwd"`
	Title          string    `json:"title"`
	UpdatedAt      time.Time `json:"updatedAt"`
	// Messages counts the user and assistant messages of the main chain.
	Messages int `json:"messages"`
	// Size is the file's size in bytes; Skipped counts lines that were
	// not JSON or too long.
	Size    int64  `json:"size"`
	Skipped int    `json:"skipped,omitempty"`
	path    string // the file
}

// Message is one user or assistant message of a conversation. Content is
// an array of content blocks (a prompt the CLI kept as a plain string
// becomes one text block); UUID is the CLI's id of the entry.
type Message struct {
	UUID    string          `json:"uuid"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	At      string          `json:"at"`
}

// Dir returns the folder of the CLI's conversations under home.
func Dir(home string) string { return filepath.Join(home, ".claude", "projects") }

var idPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$`)

// ValidID reports whether id can name a conversation file (no path in it).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// entry is what this package reads of one line.
type entry struct {
	Type        string `json:"type"`
	UUID        string `json:"uuid"`
	IsSidechain bool   `json:"isSidechain"`
	IsMeta      bool   `json:"isMeta"`
	Cwd         string `json:"cwd"`
	Timestamp   string `json:"timestamp"`
	Message     struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"message"`
}

var (
	userMark      = []byte(`"type":"user"`)
	assistantMark = []byte(`"type":"assistant"`)
)

// scan reads the file at path, calling each for every message of the main
// chain. It fills in c's cwd, title, counts and size.
func scan(path string, c *Conversation, each func(Message)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("failed to open a conversation file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("failed to stat a conversation file: %w", err)
	}
	c.Size, c.UpdatedAt, c.path = fi.Size(), fi.ModTime().UTC(), path
	rd := bufio.NewReaderSize(io.LimitReader(f, MaxFileBytes), 256<<10)
	var long []byte
	tooLong := false
	for {
		chunk, err := rd.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong && len(long)+len(chunk) <= lineLimit {
				long = append(long, chunk...)
			} else {
				tooLong, long = true, nil
			}
			continue
		}
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
			tooLong = tooLong || len(line) > lineLimit
		}
		if tooLong {
			c.Skipped++
			tooLong = false
		} else if len(bytes.TrimSpace(line)) > 0 {
			c.line(line, each)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("failed to read a conversation file: %w", err)
		}
	}
}

// line takes one line of a conversation file.
func (c *Conversation) line(line []byte, each func(Message)) {
	if !bytes.Contains(line, userMark) && !bytes.Contains(line, assistantMark) {
		if t := bytes.TrimSpace(line); t[0] != '{' || t[len(t)-1] != '}' {
			c.Skipped++ // not a JSON object (a line cut short, say)
		}
		return // another kind of entry: the CLI's own bookkeeping
	}
	var e entry
	if err := json.Unmarshal(line, &e); err != nil {
		c.Skipped++
		return
	}
	if c.Cwd == "" && e.Cwd != "" {
		c.Cwd = e.Cwd
	}
	if (e.Type != "user" && e.Type != "assistant") || e.IsSidechain || e.Message.Role != e.Type {
		return
	}
	content := blocks(e.Message.Content)
	if content == nil {
		c.Skipped++
		return
	}
	if e.Type == "user" && c.Title == "" && !e.IsMeta {
		c.Title = title(content)
	}
	if e.IsMeta {
		return
	}
	c.Messages++
	if each != nil {
		each(Message{UUID: e.UUID, Role: e.Type, Content: content, At: e.Timestamp})
	}
}

// blocks returns content as an array of content blocks, or nil when it is
// neither a string nor an array.
func blocks(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '[':
		return raw
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		b, _ := json.Marshal([]map[string]string{{"type": "text", "text": s}})
		return b
	}
	return nil
}

// title is the prompt text of a user message, or "" for tool results and
// the CLI's own command wrappers.
func title(content json.RawMessage) string {
	var bs []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(content, &bs) != nil {
		return ""
	}
	for _, b := range bs {
		t := strings.TrimSpace(b.Text)
		if b.Type == "text" && t != "" && !strings.HasPrefix(t, "<") {
			// One line of at most 200 characters, the ellipsis included.
			return textclip.Fit(strings.Join(strings.Fields(t), " "), 200)
		}
	}
	return ""
}

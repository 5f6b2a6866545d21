package history

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func write(t *testing.T, home, folder, id, body string, at time.Time) string {
	t.Helper()
	dir := filepath.Join(Dir(home), folder)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, id+".jsonl")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
	return p
}

const handMade = `{"type":"summary","summary":"an old summary","leafUuid":"x"}
{"type":"user","uuid":"u0","isMeta":true,"cwd":"/src/app","message":{"role":"user","content":"<local-command-caveat>ignore</local-command-caveat>"}}
this line is not JSON at all
{"type":"user","uuid":"u1","cwd":"/src/app","timestamp":"2026-11-30T10:00:00Z","message":{"role":"user","content":"fix   the\nlogin bug"}}
{"type":"some-future-entry","payload":{"type":"user"}}
{"type":"assistant","uuid":"a1","timestamp":"2026-11-30T10:00:01Z","message":{"role":"assistant","content":[{"type":"text","text":"Looking."}]}}
{"type":"assistant","uuid":"s1","isSidechain":true,"message":{"role":"assistant","content":[{"type":"text","text":"a subagent"}]}}
{"type":"user","uuid":"u2","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}}
{"type":"user","uuid":"bad","message":{"role":"user","content":42}}
{"type":"assistant","uuid":"a2","message":{"role":"assistant","content":[{"type":"text","text":"Done."}]}}
{"type":"user","uuid":"cut","message":{"role":"user","content":"half a li`

// Lines the package does not understand are skipped, never fatal: the
// messages are the main chain's user and assistant entries, the title is
// the first real prompt.
func TestReadSkipsWhatItDoesNotUnderstand(t *testing.T) {
	home := t.TempDir()
	write(t, home, "-src-app", "conv-1", handMade, time.Now())
	c, msgs, err := Read(home, "conv-1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.UUID)
	}
	if got := strings.Join(ids, ","); got != "u1,a1,u2,a2" {
		t.Fatalf("messages %s, want u1,a1,u2,a2", got)
	}
	if c.Title != "fix the login bug" || c.Cwd != "/src/app" || c.Messages != 4 || c.Skipped != 3 {
		t.Fatalf("conversation = %+v", c)
	}
	if string(msgs[0].Content) != `[{"text":"fix   the\nlogin bug","type":"text"}]` {
		t.Fatalf("a string prompt became %s", msgs[0].Content)
	}
	if _, _, err := Read(home, "../../etc/passwd"); err != ErrNotFound {
		t.Fatalf("a path as id: %v", err)
	}
	if _, _, err := Read(home, "nope"); err != ErrNotFound {
		t.Fatalf("a missing id: %v", err)
	}
}

// A line longer than the limit (MaxLineBytes, 1 MiB here) is skipped and the lines after it read.
func TestReadSkipsALineTooLong(t *testing.T) {
	home := t.TempDir()
	lineLimit = 1 << 20
	defer func() { lineLimit = MaxLineBytes }()
	long := `{"type":"user","uuid":"huge","message":{"role":"user","content":"` + strings.Repeat("x", lineLimit) + `"}}`
	body := `{"type":"user","uuid":"u1","message":{"role":"user","content":"before"}}` + "\n" + long + "\n" +
		`{"type":"assistant","uuid":"a1","message":{"role":"assistant","content":[{"type":"text","text":"after"}]}}` + "\n"
	write(t, home, "-x", "conv-long", body, time.Now())
	c, msgs, err := Read(home, "conv-long")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1].UUID != "a1" || c.Skipped != 1 {
		t.Fatalf("got %d messages, skipped %d", len(msgs), c.Skipped)
	}
}

// List gives every conversation with messages, newest first; files that
// are not conversations are left out and a missing folder is empty.
func TestListNewestFirst(t *testing.T) {
	home := t.TempDir()
	if l, err := List(home); err != nil || len(l) != 0 {
		t.Fatalf("no folder: %v %v", l, err)
	}
	now := time.Now()
	write(t, home, "-src-app", "older", handMade, now.Add(-time.Hour))
	write(t, home, "-src-other", "newer", `{"type":"user","uuid":"u","cwd":"/src/other","message":{"role":"user","content":"hello"}}`+"\n", now)
	write(t, home, "-src-other", "empty", `{"type":"summary"}`+"\n", now)
	if err := os.WriteFile(filepath.Join(Dir(home), "-src-other", "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := List(home)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l[0].AgentSessionID != "newer" || l[1].AgentSessionID != "older" || l[0].Cwd != "/src/other" || l[0].Size == 0 {
		t.Fatalf("list = %+v", l)
	}
}

// TestTitleIsOneLineOfAtMost200Characters: docs/protocol.md promises a
// title of at most 200 characters, one line; a cut keeps whole characters.
func TestTitleIsOneLineOfAtMost200Characters(t *testing.T) {
	text := func(s string) json.RawMessage {
		b, _ := json.Marshal([]map[string]string{{"type": "text", "text": s}})
		return b
	}
	if got := title(text("  fix\n the\tparser ")); got != "fix the parser" {
		t.Errorf("title = %q", got)
	}
	exact := strings.Repeat("😀", 200)
	if got := title(text(exact)); got != exact {
		t.Errorf("a 200-character prompt was cut: %d characters", utf8.RuneCountInString(got))
	}
	got := title(text(exact + "x"))
	if utf8.RuneCountInString(got) != 200 || got != strings.Repeat("😀", 199)+"…" {
		t.Errorf("a 201-character prompt became %q", got)
	}
}

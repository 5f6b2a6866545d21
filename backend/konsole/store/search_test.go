package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func textMsg(sid, role, text string, at time.Time) MessageRow {
	c, _ := json.Marshal([]map[string]any{{"type": "text", "text": text}})
	return MessageRow{SessionID: sid, Role: role, Content: c, At: at.UTC().Format(time.RFC3339Nano)}
}

// Search finds words in messages and kontasks, newest first, with marked
// snippets; FTS5 operators in what the user typed are plain words.
func TestSearchFindsMessagesAndKontasksNewestFirst(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	old, _ := st.AddMessage(textMsg("s1", "user", "the zebra crossing is old", t0))
	tool, _ := json.Marshal([]map[string]any{{"type": "tool_use", "id": "t", "name": "Bash", "input": map[string]any{"command": "grep zebra main.go"}}})
	toolID, _ := st.AddMessage(MessageRow{SessionID: "s2", Role: "assistant", Content: tool, At: t0.Add(time.Hour).Format(time.RFC3339Nano)})
	if _, err := st.AddMessage(MessageRow{SessionID: "s2", Role: "turn", Content: []byte(`[{"type":"turn.completed","result":"zebra"}]`), At: t0.Add(2 * time.Hour).Format(time.RFC3339Nano)}); err != nil {
		t.Fatal(err)
	}
	kt, _ := json.Marshal(map[string]any{"title": "Zebra report", "description": "stripes", "context": map[string]any{"output": "<p>a <b>zebras</b> &amp; horses</p><script>var hidden=1</script>"}})
	if err := st.InsertKontask(KontaskRow{ID: "k1", Data: kt, Status: "pending", SessionID: "s3", CreatedAt: t0.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	hits, err := st.Search("zebra", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 {
		t.Fatalf("hits = %+v, want the kontask, the tool call and the prompt (not the turn's end)", hits)
	}
	if hits[0].Kind != "kontask" || hits[0].KontaskID != "k1" || hits[1].MessageID != toolID || hits[2].MessageID != old || hits[2].SessionID != "s1" {
		t.Fatalf("order = %+v", hits)
	}
	if !strings.Contains(hits[2].Snippet, HitStart+"zebra"+HitEnd) || strings.Contains(hits[0].Snippet, "<") || strings.Contains(hits[0].Snippet, "hidden") {
		t.Fatalf("snippets = %q / %q", hits[2].Snippet, hits[0].Snippet)
	}
	for _, q := range []string{`zebra"`, `NEAR(`, `"`, `a OR`, "*", "ze\x02bra"} {
		if _, err := st.Search(q, 10); err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
	}
	if hits, _ := st.Search("   ", 10); len(hits) != 0 {
		t.Fatalf("blank query hits %v", hits)
	}
	if hits, _ := st.Search("zeb", 1); len(hits) != 1 || hits[0].Kind != "kontask" {
		t.Fatalf("prefix with limit 1: %v", hits)
	}
}

// A database written before the index existed is indexed when opened.
func TestSearchIndexIsBuiltForAnOlderDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMessage(textMsg("s1", "user", "an older giraffe", time.Now())); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DELETE FROM messages_fts`, `DELETE FROM meta WHERE key = 'search_index'`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if hits, _ := st.Search("giraffe", 10); len(hits) != 0 {
		t.Fatalf("the emptied index still found %v", hits)
	}
	st.Close()
	if st, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if hits, _ := st.Search("giraffe", 10); len(hits) != 1 {
		t.Fatalf("after reopening: %v", hits)
	}
}

// 100,000 stored messages: a rare word is found once, a common one gives
// the newest hits first, and a page of messages is newest first.
func TestSearchOverAHundredThousandMessages(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 100_000
	batch := make([]MessageRow, 0, 10_000)
	for i := 0; i < n; i++ {
		text := fmt.Sprintf("message %d reads the configuration and starts the server", i)
		if i == 4242 {
			text += " with a quokka"
		}
		batch = append(batch, textMsg(fmt.Sprintf("s%d", i%10), "assistant", text, t0.Add(time.Duration(i)*time.Second)))
		if len(batch) == cap(batch) {
			if err := st.AddMessages(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	hits, err := st.Search("quokka", 20)
	if err != nil || len(hits) != 1 || !strings.Contains(hits[0].Snippet, "message 4242") || hits[0].SessionID != "s2" {
		t.Fatalf("quokka: %v %+v", err, hits)
	}
	hits, err = st.Search("configuration server", 5)
	if err != nil || len(hits) != 5 || !strings.Contains(hits[0].Snippet, fmt.Sprint(n-1)) {
		t.Fatalf("common words: %v %+v", err, hits)
	}
	page, more, err := st.MessagesBefore("s3", 0, 3)
	if err != nil || !more || len(page) != 3 || page[0].ID <= page[1].ID {
		t.Fatalf("page: %v %v %+v", err, more, page)
	}
	older, _, _ := st.MessagesBefore("s3", page[2].ID, 3)
	if len(older) != 3 || older[0].ID >= page[2].ID {
		t.Fatalf("older page: %+v", older)
	}
}

package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "konsole.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func kontaskRow(i int, at time.Time, status, scope string, tags []string, read bool) KontaskRow {
	data, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("k%02d", i), "title": fmt.Sprintf("Report %d", i),
		"description": fmt.Sprintf("about Widget %d", i), "tags": tags})
	r := KontaskRow{ID: fmt.Sprintf("k%02d", i), Data: data, Status: status, Scope: scope, SessionID: "s1", CreatedAt: at}
	if read {
		r.ReadAt = &at
	}
	return r
}

func ids(t *testing.T, p KontaskPage) []string {
	t.Helper()
	var out []string
	for _, raw := range p.Kontasks {
		var k struct{ ID string }
		if err := json.Unmarshal(raw, &k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k.ID)
	}
	return out
}

func TestKontasksAreListedNewestFirstWithFiltersAndCursorPaging(t *testing.T) {
	s := openTemp(t)
	base := time.Date(2026, 1, 8, 4, 23, 23, 0, time.UTC)
	for i := 0; i < 7; i++ {
		// Sub-second times whose RFC 3339 forms would not sort as text.
		at := base.Add(time.Duration(i) * 100 * time.Millisecond)
		status, scope, tags := "pending", "konui", []string{"even"}
		if i%2 == 1 {
			status, scope, tags = "completed", "other", []string{"odd", "x"}
		}
		if err := s.InsertKontask(kontaskRow(i, at, status, scope, tags, i < 2)); err != nil {
			t.Fatal(err)
		}
	}
	yes := true
	cases := []struct {
		name string
		q    KontaskQuery
		want string
	}{
		{"all", KontaskQuery{}, "[k06 k05 k04 k03 k02 k01 k00]"},
		{"status", KontaskQuery{Status: "completed"}, "[k05 k03 k01]"},
		{"scope", KontaskQuery{Scope: "konui"}, "[k06 k04 k02 k00]"},
		{"tag", KontaskQuery{Tag: "x"}, "[k05 k03 k01]"},
		{"unread", KontaskQuery{Unread: &yes}, "[k06 k05 k04 k03 k02]"},
		{"q in title, any case", KontaskQuery{Q: "REPORT 3"}, "[k03]"},
		{"q in description", KontaskQuery{Q: "widget 4"}, "[k04]"},
		{"no match", KontaskQuery{Q: "nothing"}, "[]"},
	}
	for _, c := range cases {
		p, err := s.Kontasks(c.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(ids(t, p)); got != c.want && !(c.want == "[]" && got == "[]") {
			t.Fatalf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	var all []string
	q := KontaskQuery{Limit: 3}
	for pages := 0; ; pages++ {
		p, err := s.Kontasks(q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 7 {
			t.Fatalf("total %d", p.Total)
		}
		all = append(all, ids(t, p)...)
		if p.Next == nil {
			break
		}
		q.After = p.Next
	}
	if fmt.Sprint(all) != "[k06 k05 k04 k03 k02 k01 k00]" {
		t.Fatalf("paged = %v", all)
	}
}

func TestAKontaskUpdateIsStoredAndUnknownIDsAreNotFound(t *testing.T) {
	s := openTemp(t)
	now := time.Now()
	r := kontaskRow(1, now, "pending", "", nil, false)
	if err := s.InsertKontask(r); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertKontask(r); err == nil {
		t.Fatal("a second insert with the same id succeeded")
	}
	r.Status, r.ReadAt, r.Data = "completed", &now, json.RawMessage(`{"id":"k01","status":"completed"}`)
	if err := s.UpdateKontask(r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Kontask("k01")
	if err != nil || string(got) != `{"id":"k01","status":"completed"}` {
		t.Fatalf("after update: %s %v", got, err)
	}
	no := false
	if p, _ := s.Kontasks(KontaskQuery{Unread: &no}); len(p.Kontasks) != 1 {
		t.Fatal("the read kontask is not listed as read")
	}
	if _, err := s.Kontask("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	r.ID = "nope"
	if err := s.UpdateKontask(r); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update unknown id: %v", err)
	}
}

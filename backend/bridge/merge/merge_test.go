package merge_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge/merge"
)

func TestTaggedAddsTheKonsoleIDThatAParserKeeps(t *testing.T) {
	for in, want := range map[string]string{
		`{"id":"s1"}`:                     `{"id":"s1","konsoleId":"b"}`,
		` { } `:                           `{"konsoleId":"b"}`, //nolint:gocritic // the spaces around the object are the input under test
		`{"id":"s1","konsoleId":"local"}`: `{"id":"s1","konsoleId":"local","konsoleId":"b"}`,
		`[1]`:                             `[1]`,
		`"x"`:                             `"x"`,
	} {
		got := string(merge.Tagged(json.RawMessage(in), "b"))
		if got != want {
			t.Errorf("tagged(%s) = %s, want %s", in, got, want)
		}
		var m map[string]any
		if json.Unmarshal([]byte(got), &m) == nil && m["konsoleId"] != "b" {
			t.Errorf("tagged(%s) parses to konsoleId %v", in, m["konsoleId"])
		}
	}
}

// list is a Konsole's answer {"sessions": [...]} with one element per time,
// named konsole-i.
func list(konsole string, at ...time.Time) json.RawMessage {
	var els []string
	for i, t := range at {
		els = append(els, fmt.Sprintf(`{"id":"%s-%d","createdAt":%q}`, konsole, i, t.Format(time.RFC3339Nano)))
	}
	return json.RawMessage(`{"sessions":[` + strings.Join(els, ",") + `,"not an object"]}`)
}

func ids(t *testing.T, raws []json.RawMessage) string {
	t.Helper()
	var out []string
	for _, r := range raws {
		var e struct{ ID, KonsoleID string }
		if err := json.Unmarshal(r, &e); err != nil {
			t.Fatalf("an element that is not JSON: %s", r)
		}
		out = append(out, e.ID+"@"+e.KonsoleID)
	}
	return strings.Join(out, " ")
}

func TestListsMergeInTimeOrderEachElementTaggedWithItsKonsole(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := merge.Items(list("a", t0, t0.Add(2*time.Minute)), "sessions", "createdAt", "local")
	b := merge.Items(list("b", t0.Add(time.Minute), t0.Add(2*time.Minute)), "sessions", "createdAt", "remote")
	if len(a) != 2 || a[0].ID != "a-0" || !a[1].At.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("items %+v: the string that is no object is left out, ids and times read", a)
	}
	if got, want := ids(t, merge.Oldest([][]merge.Item{a, b})), "a-0@local b-0@remote a-1@local b-1@remote"; got != want {
		t.Fatalf("oldest first: %s, want %s (equal times in the Konsoles' order)", got, want)
	}
	if got, want := ids(t, merge.Newest([][]merge.Item{a, b})), "a-1@local b-1@remote b-0@remote a-0@local"; got != want {
		t.Fatalf("newest first: %s, want %s", got, want)
	}
}

func TestInterleaveTakesEachKonsolesBestInTurnUpToTheLimit(t *testing.T) {
	t0 := time.Now()
	a := merge.Items(list("a", t0, t0, t0), "sessions", "createdAt", "a")
	b := merge.Items(list("b", t0), "sessions", "createdAt", "b")
	if got, want := ids(t, merge.Interleave([][]merge.Item{a, b}, 10)), "a-0@a b-0@b a-1@a a-2@a"; got != want {
		t.Fatalf("interleaved %s, want %s", got, want)
	}
	if got, want := ids(t, merge.Interleave([][]merge.Item{a, b}, 3)), "a-0@a b-0@b a-1@a"; got != want {
		t.Fatalf("up to 3: %s, want %s", got, want)
	}
	if got := merge.Interleave(nil, 5); got == nil || len(got) != 0 {
		t.Fatalf("no lists: %v, want an empty list (JSON [])", got)
	}
}

func TestACursorCarriesEachKonsolesCursorAndAForeignOneIsRefused(t *testing.T) {
	in := map[string]string{"local": "c1", "remote": "c/2+=="}
	got, err := merge.DecodeCursor(merge.EncodeCursor(in))
	if err != nil || len(got) != 2 || got["local"] != "c1" || got["remote"] != "c/2+==" {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"not base64!", "bm90IGpzb24", merge.EncodeCursor(map[string]string{})} {
		if _, err := merge.DecodeCursor(bad); !errors.Is(err, merge.ErrCursor) {
			t.Errorf("cursor %q: %v, want ErrCursor", bad, err)
		}
	}
}

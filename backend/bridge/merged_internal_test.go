package bridge

import (
	"encoding/json"
	"testing"
)

func TestTaggedAddsTheKonsoleIDThatAParserKeeps(t *testing.T) {
	for in, want := range map[string]string{
		`{"id":"s1"}`:                     `{"id":"s1","konsoleId":"b"}`,
		` { } `:                           `{"konsoleId":"b"}`, //nolint:gocritic // the spaces around the object are the input under test
		`{"id":"s1","konsoleId":"local"}`: `{"id":"s1","konsoleId":"local","konsoleId":"b"}`,
		`[1]`:                             `[1]`,
		`"x"`:                             `"x"`,
	} {
		got := string(tagged(json.RawMessage(in), "b"))
		if got != want {
			t.Errorf("tagged(%s) = %s, want %s", in, got, want)
		}
		var m map[string]any
		if json.Unmarshal([]byte(got), &m) == nil && m["konsoleId"] != "b" {
			t.Errorf("tagged(%s) parses to konsoleId %v", in, m["konsoleId"])
		}
	}
}

package fakeapi

import (
	"encoding/json"
	"testing"
)

func TestKontaskCommandsMayHoldArraysAndBrackets(t *testing.T) {
	cases := map[string]string{
		`[[kontask: {"title":"t","choices":[{"label":"a","value":"b"}],"tags":["x"]}]]`: `{"choices":[{"label":"a","value":"b"}],"tags":["x"],"title":"t"}`,
		`please [[kontask: {"title":"a ]] b"}]] now`:                                    `{"title":"a ]] b"}`,
		`[[tool mcp__konsole__kontask_list: {"all":true}]]`:                             `{"all":true}`,
		`[[kontask: {"title":"no end"}`:                                                 ``,
	}
	for prompt, want := range cases {
		r := DefaultScript(&Request{Messages: []Message{{Role: "user", Prompt: prompt}}})
		tool := r.Blocks[0].Tool
		if want == "" {
			if tool != nil {
				t.Fatalf("%s: called %s", prompt, tool.Name)
			}
			continue
		}
		if tool == nil {
			t.Fatalf("%s: no tool call, reply %+v", prompt, r.Blocks)
		}
		got, _ := json.Marshal(tool.Input)
		if string(got) != want {
			t.Fatalf("%s: input %s, want %s", prompt, got, want)
		}
	}
}

func TestUsageCommandSetsTheReplysTokens(t *testing.T) {
	r := &Request{Messages: []Message{{Role: "user", Prompt: "count [[usage 1234 56 700 300]] this"}}}
	u := DefaultScript(r).Usage
	if u == nil || *u != (Usage{Input: 1234, Output: 56, CacheRead: 700, CacheWrite: 300}) {
		t.Fatalf("usage = %+v", u)
	}
	if DefaultScript(&Request{Messages: []Message{{Role: "user", Prompt: "plain"}}}).Usage != nil {
		t.Fatal("a plain prompt set a usage")
	}
}

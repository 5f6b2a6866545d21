package kontask

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func valid() Input {
	return Input{
		Title:       "WebSocket Implementation Status Report",
		Description: "Comprehensive audit of WebSocket migration from SSE for dashboard console",
		Output:      `<div style="padding:20px"><h2>WebSocket Implementation Status</h2></div>`,
		Choices: []Choice{
			{Label: "Fix stop turn", Value: "Implement the stop turn functionality", Primary: true},
			{Label: "Show file details", Value: "Show me the actual WebSocket implementation code"},
		},
		Scope: "vibetools",
		Tags:  []string{"websocket", "console", "architecture"},
	}
}

func choices(n int) []Choice {
	out := make([]Choice, n)
	for i := range out {
		out[i] = Choice{Label: fmt.Sprintf("Option %d", i+1), Value: fmt.Sprintf("do option %d", i+1)}
	}
	return out
}

func TestValidateAcceptsTheSeedKontaskAndFillsDefaults(t *testing.T) {
	in := valid()
	in.Title = "  " + in.Title + "  "
	in.Tags = append(in.Tags, "console")
	out, err := Validate(in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Title != "WebSocket Implementation Status Report" || out.Type != "general" || out.Status != "pending" {
		t.Fatalf("normalised = %+v", out)
	}
	if strings.Join(out.Tags, ",") != "websocket,console,architecture" {
		t.Fatalf("tags = %v, want the duplicate dropped", out.Tags)
	}
}

func TestValidateRejectsEachBrokenRuleWithASentenceNamingTheField(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Input)
		want string
	}{
		{"empty title", func(in *Input) { in.Title = "  " }, "title is required"},
		{"long title", func(in *Input) { in.Title = strings.Repeat("é", MaxTitle+1) }, "title is 201 characters long; the limit is 200"},
		{"title on two lines", func(in *Input) { in.Title = "one\ntwo" }, "title must be one line"},
		{"invalid UTF-8 title", func(in *Input) { in.Title = "bad \xff" }, "title is not valid UTF-8"},
		{"long description", func(in *Input) { in.Description = strings.Repeat("d", MaxDescription+1) }, "description is 4001 characters long"},
		{"output over 1 MiB", func(in *Input) { in.Output = strings.Repeat("x", MaxOutputBytes+1) }, "output is 1048577 bytes; the limit is 1048576"},
		{"NUL in output", func(in *Input) { in.Output = "a\x00b" }, "output contains a NUL character"},
		{"11 choices", func(in *Input) { in.Choices = choices(11) }, "choices has 11 entries; at most 10 are allowed"},
		{"empty label", func(in *Input) { in.Choices[1].Label = " " }, "choices[1].label is required"},
		{"empty value", func(in *Input) { in.Choices[0].Value = "" }, "choices[0].value is required"},
		{"duplicate label", func(in *Input) { in.Choices[1].Label = in.Choices[0].Label }, "choices[1].label \"Fix stop turn\" repeats choices[0].label"},
		{"long label", func(in *Input) { in.Choices[0].Label = strings.Repeat("l", MaxLabel+1) }, "choices[0].label is 101 characters long"},
		{"unknown status", func(in *Input) { in.Status = "done" }, `status "done" is not one of pending, completed, dismissed`},
		{"bad type", func(in *Input) { in.Type = "Big Report" }, `type "Big Report" must be`},
		{"scope with spaces", func(in *Input) { in.Scope = "my project" }, `scope "my project" must be`},
		{"empty tag", func(in *Input) { in.Tags = []string{"ok", ""} }, "tags[1] is empty"},
		{"tag with spaces", func(in *Input) { in.Tags = []string{"two words"} }, `tags[0] "two words" must be`},
		{"21 tags", func(in *Input) {
			in.Tags = nil
			for i := 0; i < 21; i++ {
				in.Tags = append(in.Tags, fmt.Sprintf("t%d", i))
			}
		}, "tags has 21 entries; at most 20 are allowed"},
		{"control in targetUser", func(in *Input) { in.TargetUser = "a\x07" }, "targetUser must be one line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := valid()
			c.edit(&in)
			_, err := Validate(in)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %q, want it to contain %q", err, c.want)
			}
			if len(ve.Problems) != 1 {
				t.Fatalf("problems = %q, want just one", ve.Problems)
			}
		})
	}
}

func TestValidateListsEveryProblemAtOnce(t *testing.T) {
	_, err := Validate(Input{Status: "nope", Choices: []Choice{{}}})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 4 {
		t.Fatalf("err = %v, want four problems (title, label, value, status)", err)
	}
}

func TestTenChoicesAndExactlyOneMiBOfOutputAreAllowed(t *testing.T) {
	in := valid()
	in.Choices = choices(MaxChoices)
	in.Output = strings.Repeat("x", MaxOutputBytes)
	in.Title = strings.Repeat("t", MaxTitle)
	if _, err := Validate(in); err != nil {
		t.Fatal(err)
	}
}

func TestNewHasTheDesignShape(t *testing.T) {
	now := time.Date(2026, 1, 8, 4, 23, 23, 848e6, time.UTC)
	k, err := New(Input{Title: "t"}, "id-1", now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(k)
	want := `{"id":"id-1","type":"general","status":"pending","title":"t","description":"","context":{"output":"","choices":[]},` +
		`"createdBy":"","createdAt":"2026-01-08T04:23:23.848Z","updatedAt":"2026-01-08T04:23:23.848Z","readAt":null,` +
		`"requestId":"","sessionId":"","scope":"","tags":[],"targetUser":""}`
	if string(b) != want {
		t.Fatalf("json =\n%s\nwant\n%s", b, want)
	}
}

func TestPatchSetsStatusAndReadAt(t *testing.T) {
	k, _ := New(valid(), "id", time.Unix(100, 0))
	done, yes, no := StatusCompleted, true, false
	later := time.Unix(200, 0)
	if changed, err := (Patch{Status: &done, Read: &yes}).Apply(&k, later); err != nil || !changed {
		t.Fatalf("apply: %v %v", changed, err)
	}
	if k.Status != "completed" || k.ReadAt == nil || !k.ReadAt.Equal(later) || !k.UpdatedAt.Equal(later) {
		t.Fatalf("after patch: %+v", k)
	}
	if changed, _ := (Patch{Read: &yes}).Apply(&k, time.Unix(300, 0)); changed || !k.ReadAt.Equal(later) {
		t.Fatal("reading a read kontask again changed it")
	}
	if changed, _ := (Patch{Read: &no}).Apply(&k, time.Unix(400, 0)); !changed || k.ReadAt != nil {
		t.Fatal("read:false did not clear readAt")
	}
	bad := "done"
	if _, err := (Patch{Status: &bad}).Apply(&k, later); err == nil || !strings.Contains(err.Error(), `status "done" is not one of`) {
		t.Fatalf("bad status: %v", err)
	}
	if _, err := (Patch{}).Apply(&k, later); err == nil || !strings.Contains(err.Error(), "nothing to change") {
		t.Fatalf("empty patch: %v", err)
	}
}

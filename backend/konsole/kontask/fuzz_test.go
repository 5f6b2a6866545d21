package kontask

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzValidate feeds tool and REST inputs (JSON, as an agent sends them)
// and a raw title (bytes JSON would have laundered) through Validate and
// checks that whatever it accepts keeps every limit, and that whatever it
// refuses is refused with a readable sentence.
func FuzzValidate(f *testing.F) {
	f.Add([]byte(`{"title":"Report","output":"<b>done</b>","choices":[{"label":"Next","value":"do the next step","primary":true}],"tags":["a","b"],"scope":"konui"}`), "")
	f.Add([]byte(`{}`), "")
	f.Add([]byte(`{"title":"x","status":"completed","type":"bug-report"}`), "\xff")
	f.Fuzz(func(t *testing.T, js []byte, rawTitle string) {
		var in Input
		if json.Unmarshal(js, &in) != nil {
			return
		}
		if rawTitle != "" {
			in.Title = rawTitle
		}
		out, err := Validate(in)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("refused without problems: %v", err)
			}
			if !utf8.ValidString(err.Error()) || strings.HasSuffix(err.Error(), ": ") {
				t.Fatalf("unreadable error %q", err)
			}
			return
		}
		checkLimits(t, out)
		again, err := Validate(out)
		if err != nil || !reflect.DeepEqual(again, out) {
			t.Fatalf("validating a normalised input again: %v\n%+v\n%+v", err, again, out)
		}
		k, err := New(in, "id", time.Unix(1, 0))
		if err != nil {
			t.Fatalf("New refused what Validate accepted: %v", err)
		}
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var back Kontask
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, k) {
			t.Fatalf("the kontask does not survive JSON: %v\n%+v\n%+v", err, back, k)
		}
	})
}

func checkLimits(t *testing.T, in Input) {
	t.Helper()
	if in.Title == "" || utf8.RuneCountInString(in.Title) > MaxTitle || !utf8.ValidString(in.Title) {
		t.Fatalf("accepted title %q", in.Title)
	}
	if len(in.Output) > MaxOutputBytes || len(in.Choices) > MaxChoices || len(in.Tags) > MaxTags {
		t.Fatalf("accepted output %d bytes, %d choices, %d tags", len(in.Output), len(in.Choices), len(in.Tags))
	}
	for _, c := range in.Choices {
		if strings.TrimSpace(c.Label) == "" || strings.TrimSpace(c.Value) == "" {
			t.Fatalf("accepted choice %+v", c)
		}
	}
	for _, tag := range in.Tags {
		if tag == "" || strings.ContainsAny(tag, " \t\n") {
			t.Fatalf("accepted tag %q", tag)
		}
	}
	if !knownStatus(in.Status) || !isIdent(in.Type) {
		t.Fatalf("accepted status %q type %q", in.Status, in.Type)
	}
}

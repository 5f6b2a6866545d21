package claude

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

func parseFile(t *testing.T, name string) (outs []Output, errs int) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out, err := ParseLine(sc.Bytes())
		if err != nil {
			errs++
			continue
		}
		outs = append(outs, out)
	}
	return outs, errs
}

func kinds(outs []Output, k Kind) []Output {
	var r []Output
	for _, o := range outs {
		if o.Kind == k {
			r = append(r, o)
		}
	}
	return r
}

func TestParsesARecordedTextTurn(t *testing.T) {
	outs, errs := parseFile(t, "text-turn.jsonl")
	if errs != 0 {
		t.Fatalf("%d recorded lines failed to parse", errs)
	}
	inits := kinds(outs, KindInit)
	if len(inits) != 1 || inits[0].Init.SessionID == "" || len(inits[0].Init.Tools) == 0 {
		t.Fatalf("init = %+v", inits)
	}
	var text strings.Builder
	for _, o := range kinds(outs, KindTextDelta) {
		text.WriteString(o.TextDelta)
	}
	if text.String() != "Echo: hello there" {
		t.Fatalf("deltas = %q", text.String())
	}
	msgs := kinds(outs, KindMessage)
	if len(msgs) != 1 || msgs[0].Message.Role != "assistant" || !strings.Contains(string(msgs[0].Message.Content), "Echo: hello there") {
		t.Fatalf("messages = %+v", msgs)
	}
	res := kinds(outs, KindResult)
	if len(res) != 1 || res[0].Result.IsError || res[0].Result.TotalCostUSD <= 0 || res[0].Result.SessionID != inits[0].Init.SessionID {
		t.Fatalf("result = %+v", res[0].Result)
	}
}

func TestParsesARecordedToolCallPermissionAndInterrupt(t *testing.T) {
	outs, errs := parseFile(t, "tool-and-interrupt.jsonl")
	if errs != 0 {
		t.Fatalf("%d recorded lines failed to parse", errs)
	}
	perms := kinds(outs, KindPermission)
	if len(perms) != 1 || perms[0].Permission.ToolName != "Bash" || perms[0].Permission.RequestID == "" ||
		!strings.Contains(string(perms[0].Permission.Input), "rec.txt") {
		t.Fatalf("permission = %+v", perms)
	}
	var toolResult, interrupted bool
	for _, m := range kinds(outs, KindMessage) {
		c := string(m.Message.Content)
		if m.Message.Role == "user" && strings.Contains(c, "tool_result") && strings.Contains(c, "rec") {
			toolResult = true
		}
		if m.Message.Role == "user" && strings.Contains(c, "[Request interrupted by user]") {
			interrupted = true
		}
	}
	if !toolResult || !interrupted {
		t.Fatalf("tool result seen %v, interrupt marker seen %v", toolResult, interrupted)
	}
	ctl := kinds(outs, KindControl)
	if len(ctl) != 1 || ctl[0].Control.RequestID != "req_1_x" {
		t.Fatalf("control responses = %+v", ctl)
	}
	res := kinds(outs, KindResult)
	if len(res) != 2 || res[0].Result.IsError || !res[1].Result.IsError {
		t.Fatalf("results = %d (want a clean one, then an interrupted one)", len(res))
	}
}

func TestGarbageLinesAreErrorsOrUnknownNeverPanics(t *testing.T) {
	f, _ := os.ReadFile("testdata/garbage.txt")
	for _, line := range strings.Split(strings.TrimSpace(string(f)), "\n") {
		out, err := ParseLine([]byte(line))
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: error %v does not wrap ErrMalformed", line, err)
		}
		if err == nil && out.Kind != KindUnknown {
			t.Errorf("%q parsed as %s", line, out.Kind)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	for _, name := range []string{"text-turn.jsonl", "tool-and-interrupt.jsonl", "garbage.txt"} {
		b, _ := os.ReadFile("testdata/" + name)
		for _, line := range strings.Split(string(b), "\n") {
			f.Add([]byte(line))
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		out, err := ParseLine(line)
		if err == nil {
			switch out.Kind {
			case KindInit:
				_ = out.Init.SessionID
			case KindMessage:
				_ = out.Message.Role
			case KindResult:
				_ = out.Result.Subtype
			case KindPermission:
				_ = out.Permission.RequestID
			case KindControl:
				_ = out.Control.RequestID
			}
		}
	})
}

// A user message the CLI echoes back (--replay-user-messages) carries
// its uuid and is marked a replay: the anchor of a conversation rewind.
func TestReplayedUserMessageCarriesItsUUID(t *testing.T) {
	line := `{"type":"user","message":{"role":"user","content":"hello"},"session_id":"s","parent_tool_use_id":null,"uuid":"6b41cf7e-9b8d-42b6-9928-62bd15157375","isReplay":true}`
	out, err := ParseLine([]byte(line))
	if err != nil || out.Kind != KindMessage {
		t.Fatalf("parse: %v %+v", err, out)
	}
	if !out.Message.Replay || out.Message.UUID != "6b41cf7e-9b8d-42b6-9928-62bd15157375" || out.Message.SessionID != "s" || out.Message.Role != "user" {
		t.Errorf("message: %+v", out.Message)
	}
	out, _ = ParseLine([]byte(`{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":"ok"}]},"uuid":"u2"}`))
	if out.Message.Replay || out.Message.UUID != "u2" {
		t.Errorf("a tool result: %+v", out.Message)
	}
	if a := (Options{Checkpoints: true}).Args(); a[len(a)-1] != "--replay-user-messages" {
		t.Errorf("args: %v", a)
	}
}

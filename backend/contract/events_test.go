package contract

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	namelist "github.com/konui/konui/internal/contract"
)

// Every Ev constant has exactly one payload type, and every payload type
// names one of the constants: an event cannot be added without its type.
func TestEveryEventTypeHasOnePayloadType(t *testing.T) {
	consts, err := namelist.GoStrings("events.go", "Ev")
	if err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(maps.Values(consts))
	var typed []string
	seen := map[string]string{}
	for _, p := range Payloads() {
		name := reflect.TypeOf(p).Name()
		if other, dup := seen[p.EventType()]; dup {
			t.Errorf("%s and %s both are the data of %s", other, name, p.EventType())
		}
		seen[p.EventType()] = name
		typed = append(typed, p.EventType())
	}
	slices.Sort(typed)
	if !slices.Equal(names, typed) {
		t.Fatalf("the Ev constants of events.go are %q, the payloads of Payloads() name %q: give each event type one payload type", names, typed)
	}
}

// The payload types write the JSON the maps they replaced wrote: the same
// members with the same values (the wire contract is fixed).
func TestPayloadsWriteWhatTheMapsWrote(t *testing.T) {
	at := time.Date(2026, 12, 1, 23, 50, 0, 0, time.UTC)
	cost, latency, tokens, window := 0.0, int64(0), int64(1200), int64(200000)
	input := json.RawMessage(`{"command":"ls"}`)
	for _, c := range []struct {
		name string
		typ  Payload
		old  any
	}{
		{"turn.started", TurnStarted{TurnID: "t", Prompt: "hi"}, map[string]any{"turnId": "t", "prompt": "hi"}},
		{"turn.started with images", TurnStarted{TurnID: "t", Prompt: "hi", ClientMessageID: "c", Images: 2},
			map[string]any{"turnId": "t", "prompt": "hi", "clientMessageId": "c", "images": 2}},
		{"text.delta", TextDelta{TurnID: "t", Text: "Hel"}, map[string]any{"turnId": "t", "text": "Hel"}},
		{"message", Message{TurnID: "t", Role: "assistant", Content: json.RawMessage(`[{"type":"text","text":"x"}]`)},
			map[string]any{"turnId": "t", "role": "assistant", "content": json.RawMessage(`[{"type":"text","text":"x"}]`)}},
		{"message of a subagent", Message{TurnID: "t", Role: "user", Content: json.RawMessage(`[]`), ParentToolUseID: "tu"},
			map[string]any{"turnId": "t", "role": "user", "content": json.RawMessage(`[]`), "parentToolUseId": "tu"}},
		{"permission.resolved", PermissionResolved{RequestID: "r", ToolName: "Bash", Input: input, Behavior: "allow", Always: true},
			map[string]any{"requestId": "r", "toolName": "Bash", "input": input, "behavior": "allow", "always": true}},
		{"permission.resolved by Konsole", PermissionResolved{RequestID: "r", ToolName: "Bash", Input: input, Behavior: "deny", Message: "m", Reason: DenyAgentExited},
			map[string]any{"requestId": "r", "toolName": "Bash", "input": input, "behavior": "deny", "message": "m", "reason": "agent_exited"}},
		{"permission.resolved auto", PermissionResolved{RequestID: "r", ToolName: "Bash", Behavior: "deny", Message: "m", Auto: true},
			map[string]any{"requestId": "r", "toolName": "Bash", "input": nil, "behavior": "deny", "message": "m", "auto": true}},
		{"turn.completed", TurnCompleted{TurnID: "t", Reason: ReasonCompleted, CostUSD: &cost, DurationMs: 5, Usage: &TurnUsage{InputTokens: 3},
			ContextTokens: &tokens, ContextWindow: &window, Result: "ok"},
			map[string]any{"turnId": "t", "reason": "completed", "costUsd": 0.0, "durationMs": 5, "result": "ok",
				"usage":         map[string]any{"inputTokens": 3, "outputTokens": 0, "cacheReadTokens": 0, "cacheWriteTokens": 0},
				"contextTokens": 1200, "contextWindow": 200000}},
		{"turn.completed interrupted at once", TurnCompleted{TurnID: "t", Reason: ReasonInterrupted, DurationMs: 0, StopLatencyMs: &latency},
			map[string]any{"turnId": "t", "reason": "interrupted", "durationMs": 0, "stopLatencyMs": 0}},
		{"agent.exited", AgentExited{Error: "exit status 1", StderrTail: "boom", Expected: false},
			map[string]any{"error": "exit status 1", "stderrTail": "boom", "expected": false}},
		{"agent.info", AgentInfoChanged{SessionID: "s"}, map[string]any{"sessionId": "s"}},
		{"queue.updated", QueueUpdated{SessionID: "s", Queue: []QueuedPrompt{}, Paused: true},
			map[string]any{"sessionId": "s", "queue": []any{}, "paused": true}},
		{"permission.rules", PermissionRules{Rules: []Rule{{ToolName: "Bash", Behavior: "allow", Destination: "session"}}},
			map[string]any{"rules": []any{map[string]any{"toolName": "Bash", "behavior": "allow", "destination": "session"}}}},
		{"kontask.created", KontaskCreated{KontaskEvent{Kontask: Kontask{ID: "k", CreatedAt: at, UpdatedAt: at, Tags: []string{}}}},
			map[string]any{"kontask": Kontask{ID: "k", CreatedAt: at, UpdatedAt: at, Tags: []string{}}}},
		{"kontask.updated with a preview", KontaskUpdated{KontaskEvent{Kontask: Kontask{ID: "k"}, OutputTruncated: true, OutputBytes: 5000}},
			map[string]any{"kontask": Kontask{ID: "k"}, "outputTruncated": true, "outputBytes": 5000}},
		{"agent.updated", AgentUpdated{Agent: Agent{Path: "/bin/claude", MinVersion: "2.0.0"}},
			map[string]any{"agent": Agent{Path: "/bin/claude", MinVersion: "2.0.0"}}},
		{"session.updated", SessionUpdated{Session: Session{ID: "s"}}, map[string]any{"session": Session{ID: "s"}}},
		{"heartbeat", Heartbeat{}, map[string]any{}},
	} {
		if got, want := decoded(t, c.typ), decoded(t, c.old); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the type writes %v, the map wrote %v", c.name, got, want)
		}
	}
}

func decoded(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

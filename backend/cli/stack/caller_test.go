package stack

import (
	"bufio"
	"context"
	"encoding/json"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/testkit/konsoletest"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary play the Claude CLI of the local Konsole
// (STACK_FAKE_AGENT), and a process that agent starts (STACK_FAKE_CALLER).
func TestMain(m *testing.M) {
	if os.Getenv("STACK_FAKE_CALLER") != "" {
		os.Exit(fakeCaller())
	}
	if os.Getenv("STACK_FAKE_AGENT") != "" {
		os.Exit(fakeAgent())
	}
	os.Exit(m.Run())
}

func emit(v any) {
	b, _ := json.Marshal(v)
	os.Stdout.Write(append(b, '\n'))
}

// fakeAgent answers --version, then, for each user turn, has a child make
// the calls the prompt lists and streams what it saw.
func fakeAgent() int {
	for _, a := range os.Args[1:] {
		if a == "--version" {
			os.Stdout.WriteString("2.1.328 (Claude Code)\n")
			return 0
		}
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var msg struct {
			Type      string `json:"type"`
			RequestID string `json:"request_id"`
			Message   struct {
				Content json.RawMessage `json:"content"`
			} `json:"message"`
		}
		if json.Unmarshal(in.Bytes(), &msg) != nil {
			continue
		}
		if msg.Type == "control_request" {
			// initialize and the like: a success with nothing in it.
			emit(map[string]any{"type": "control_response", "response": map[string]any{"subtype": "success", "request_id": msg.RequestID, "response": map[string]any{}}})
			continue
		}
		if msg.Type != "user" {
			continue
		}
		var text string
		if json.Unmarshal(msg.Message.Content, &text) != nil {
			var blocks []struct{ Type, Text string }
			json.Unmarshal(msg.Message.Content, &blocks)
			for _, b := range blocks {
				text += b.Text
			}
		}
		exe, _ := os.Executable()
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), "STACK_FAKE_CALLER=1")
		cmd.Stdin = strings.NewReader(text)
		out, err := cmd.Output()
		if err != nil {
			out = []byte(`"the caller failed"`)
		}
		emit(map[string]any{"type": "system", "subtype": "init", "session_id": "fake-stack-agent"})
		emit(map[string]any{"type": "stream_event", "event": map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": string(out)}}})
		emit(map[string]any{"type": "result", "subtype": "success", "is_error": false, "result": "called",
			"total_cost_usd": 0.0, "duration_ms": 1, "session_id": "fake-stack-agent"})
	}
	return 0
}

type stackCall struct{ Method, URL, Token string }

type stackResult struct {
	Status int
	Code   string
}

// fakeCaller makes the calls of its stdin with their tokens.
func fakeCaller() int {
	var calls []stackCall
	if json.NewDecoder(os.Stdin).Decode(&calls) != nil {
		return 2
	}
	c := &http.Client{Timeout: 10 * time.Second}
	var got []stackResult
	for _, call := range calls {
		req, _ := http.NewRequest(call.Method, call.URL, nil)
		req.Header.Set("Authorization", "Bearer "+call.Token)
		resp, err := c.Do(req)
		if err != nil {
			got = append(got, stackResult{})
			continue
		}
		var e struct{ Code string }
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		json.Unmarshal(raw, &e)
		resp.Body.Close()
		got = append(got, stackResult{resp.StatusCode, e.Code})
	}
	json.NewEncoder(os.Stdout).Encode(got)
	return 0
}

// do calls base+path with token from this test process.
func do(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

// TestTheAgentsOfTheLocalKonsoleReachNeitherItNorTheBridge: a process an
// agent of the embedded Konsole starts, holding both tokens, is refused by
// Konsole and by the bridge with 403 agent_caller; the bridge's own calls
// to Konsole and this test process (the person's) pass. A new token given
// from the dashboard's route reaches the bridge, which follows it without
// a restart.
func TestTheAgentsOfTheLocalKonsoleReachNeitherItNorTheBridge(t *testing.T) {
	exe, _ := os.Executable()
	t.Setenv("STACK_FAKE_AGENT", "1")
	work := t.TempDir()
	st, err := Start(Config{Local: true, Fleet: testFleet(t), DataDir: t.TempDir(), Claude: exe, Token: "dash-token-for-the-caller-test", Version: "9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bridgeURL, err := st.Serve("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	const dash = "dash-token-for-the-caller-test"
	status, s := do(t, "POST", bridgeURL+"/api/sessions", dash, `{"cwd":"`+filepath.ToSlash(work)+`"}`)
	if status != http.StatusCreated {
		t.Fatalf("create through the bridge: %d %v", status, s)
	}
	sid := s["id"].(string)
	kURL, kTok := st.Konsole.URL(), st.Konsole.Token()

	run := func(calls []stackCall) []stackResult {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", kURL+"/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+st.Konsole.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		evs := make(chan konsoletest.Event, 1000)
		go konsoletest.ReadSSE(resp.Body, evs)
		plan, _ := json.Marshal(calls)
		body, _ := json.Marshal(map[string]any{"text": string(plan)})
		status, r := do(t, "POST", bridgeURL+"/api/sessions/"+sid+"/prompt", dash, string(body))
		if status != http.StatusAccepted {
			t.Fatalf("prompt through the bridge: %d %v", status, r)
		}
		turn := r["turnId"].(string)
		var text strings.Builder
		for {
			var e konsoletest.Event
			select {
			case e = <-evs:
			case <-ctx.Done():
				t.Fatalf("the turn did not end; the agent's child said %q", text.String())
			}
			if e.Type == contract.EvTextDelta && e.TurnID == turn {
				text.WriteString(e.DataMap()["text"].(string))
			}
			if e.Type == contract.EvTurnCompleted && e.TurnID == turn {
				var got []stackResult
				if err := json.Unmarshal([]byte(text.String()), &got); err != nil || len(got) != len(calls) {
					t.Fatalf("the agent's child answered %q", text.String())
				}
				return got
			}
		}
	}
	calls := []stackCall{
		{"GET", kURL + "/v1/sessions", kTok},
		{"PATCH", kURL + "/v1/sessions/" + sid, kTok},
		{"GET", bridgeURL + "/api/sessions", dash},
		{"GET", bridgeURL + "/api/health", dash},
		{"POST", bridgeURL + "/api/konsoles/local/token", dash},
		{"GET", bridgeURL + "/", ""},
	}
	for i, g := range run(calls) {
		if g.Status != http.StatusForbidden || g.Code != "agent_caller" {
			t.Errorf("%s %s from the agent's child: %+v", calls[i].Method, calls[i].URL, g)
		}
	}
	// The person (this process) passes on both.
	if status, _ := do(t, "GET", kURL+"/v1/sessions", kTok, ""); status != 200 {
		t.Fatalf("Konsole refused the test process: %d", status)
	}
	if status, _ := do(t, "GET", bridgeURL+"/api/sessions", dash, ""); status != 200 {
		t.Fatalf("the bridge refused the test process: %d", status)
	}

	// A new token from the dashboard: Konsole refuses the old one, the
	// bridge follows at once (its next prompt goes through).
	status, r := do(t, "POST", bridgeURL+"/api/konsoles/local/token", dash, "")
	if status != http.StatusOK || r["rotated"] != true {
		t.Fatalf("rotate: %d %v", status, r)
	}
	if strings.Contains(toJSON(r), st.Konsole.Token()) {
		t.Fatal("the new token is in the answer")
	}
	if status, _ := do(t, "GET", kURL+"/v1/sessions", kTok, ""); status != http.StatusUnauthorized {
		t.Fatalf("the old token after the rotation: %d", status)
	}
	got := run([]stackCall{{"GET", kURL + "/v1/sessions", st.Konsole.Token()}})
	if got[0].Status != http.StatusForbidden || got[0].Code != "agent_caller" {
		t.Fatalf("the agent's child with the new token: %+v", got[0])
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

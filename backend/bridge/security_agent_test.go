package bridge_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/shared/auth"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// TestMain lets the test binary play a process an agent started, which
// calls the bridge (BRIDGE_AGENT_CALLS: the calls as JSON) and prints the
// status and code of each answer.
func TestMain(m *testing.M) {
	if plan := os.Getenv("BRIDGE_AGENT_CALLS"); plan != "" {
		os.Exit(agentCaller(plan))
	}
	os.Exit(m.Run())
}

type agentCall struct{ Method, URL, Token string }

type agentAnswer struct {
	Status int
	Code   string
}

func agentCaller(plan string) int {
	var calls []agentCall
	if json.Unmarshal([]byte(plan), &calls) != nil {
		return 2
	}
	c := &http.Client{Timeout: 10 * time.Second}
	var got []agentAnswer
	for _, call := range calls {
		var body io.Reader
		if call.Method != "GET" && call.Method != "DELETE" {
			body = strings.NewReader("{}")
		}
		req, _ := http.NewRequest(call.Method, call.URL, body)
		req.Header.Set("Authorization", "Bearer "+call.Token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.Do(req)
		if err != nil {
			got = append(got, agentAnswer{})
			continue
		}
		var e struct{ Code string }
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			json.Unmarshal(raw, &e)
		}
		resp.Body.Close()
		got = append(got, agentAnswer{resp.StatusCode, e.Code})
	}
	json.NewEncoder(os.Stdout).Encode(got)
	return 0
}

// TestEveryBridgeRouteRefusesAnAgentsProcess: the security table's
// agent_caller column. A process under an agent of the Konsole in the
// bridge's own process (AgentPIDs), holding the dashboard's token, is
// refused on every route, the dashboard's files and the WebSocket
// included; this test process, with the same token, is not.
func TestEveryBridgeRouteRefusesAnAgentsProcess(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	var mu sync.Mutex
	var agents []int
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) {
		c.Token = "bridge-" + auth.NewToken()
		c.AgentPIDs = func() []int { mu.Lock(); defer mu.Unlock(); return agents }
	})
	h.waitConnected()
	var calls []agentCall
	for _, r := range bridgeRoutes {
		calls = append(calls, agentCall{r.method, h.srv.URL + r.path, h.token})
	}
	calls = append(calls, agentCall{"GET", h.srv.URL + "/", ""}, agentCall{"GET", h.srv.URL + "/api/sessions", "wrong"})
	plan, _ := json.Marshal(calls)

	// The agent is a shell; the caller is its child.
	exe, _ := os.Executable()
	agent := exec.Command("/bin/sh", "-c", `read go; "$0"`, exe)
	agent.Env = append(os.Environ(), "BRIDGE_AGENT_CALLS="+string(plan))
	in, _ := agent.StdinPipe()
	var out strings.Builder
	agent.Stdout, agent.Stderr = &out, &out
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	agents = []int{agent.Process.Pid}
	mu.Unlock()
	io.WriteString(in, "go\n")
	in.Close()
	if err := agent.Wait(); err != nil {
		t.Fatalf("the agent's child: %v %s", err, out.String())
	}
	var got []agentAnswer
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil || len(got) != len(calls) {
		t.Fatalf("the agent's child printed %q", out.String())
	}
	for i, c := range calls {
		if got[i].Status != http.StatusForbidden || got[i].Code != "agent_caller" {
			t.Errorf("%s %s from the agent's child: %+v", c.Method, c.URL, got[i])
		}
	}
	// The person's own calls pass while the agent's tree is watched.
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	mu.Lock()
	agents = []int{other.Process.Pid}
	mu.Unlock()
	for _, p := range []string{"/api/sessions", "/api/konsoles", "/api/health"} {
		if a := do(t, h.srv.URL, "GET", p, h.token, false, ""); a.status != http.StatusOK {
			t.Errorf("GET %s from the test process: %d %s", p, a.status, a.body)
		}
	}
}

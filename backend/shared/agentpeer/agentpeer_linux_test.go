package agentpeer_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/konui/konui/backend/shared/agentpeer"
)

// TestMain lets the test binary play a process an agent started, which
// calls a URL and prints the status and body.
func TestMain(m *testing.M) {
	if u := os.Getenv("AGENTPEER_CALL"); u != "" {
		resp, err := http.Get(u)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, string(b))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// agentTree starts a shell (the agent) whose child, the test binary,
// calls url; it returns the shell's pid through started before the call
// is made, and the child's output.
func runAgentTree(t *testing.T, url string, started func(pid int)) string {
	t.Helper()
	exe, _ := os.Executable()
	// The shell waits for a line on stdin before it starts the caller, so
	// that the guard knows the agent's pid before any call arrives.
	cmd := exec.Command("/bin/sh", "-c", "read go; \"$0\"", exe)
	cmd.Env = append(os.Environ(), "AGENTPEER_CALL="+url)
	in, _ := cmd.StdinPipe()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started(cmd.Process.Pid)
	io.WriteString(in, "go\n")
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the caller failed: %v %s", err, out.String())
	}
	return out.String()
}

func TestAProcessUnderAnAgentIsRefusedAndOthersPass(t *testing.T) {
	var mu sync.Mutex
	var agents []int
	g := &agentpeer.Guard{Agents: func() []int { mu.Lock(); defer mu.Unlock(); return agents }}
	srv := httptest.NewUnstartedServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "served")
	})))
	srv.Config.ConnContext = agentpeer.ConnContext
	srv.Start()
	defer srv.Close()

	out := runAgentTree(t, srv.URL, func(pid int) { mu.Lock(); agents = []int{pid}; mu.Unlock() })
	if !strings.HasPrefix(out, "403 ") || !strings.Contains(out, `"code":"agent_caller"`) {
		t.Fatalf("the agent's child got: %s", out)
	}
	// The same program outside any agent's tree passes.
	out = runAgentTree(t, srv.URL, func(int) {})
	if !strings.HasPrefix(out, "200 served") {
		t.Fatalf("a process outside the agents' trees got: %s", out)
	}
	// And this process, while an agent runs, passes too.
	agent := exec.Command("sleep", "60")
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { agent.Process.Kill(); agent.Wait() }()
	mu.Lock()
	agents = []int{agent.Process.Pid}
	mu.Unlock()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the test process got %d", resp.StatusCode)
	}
}

func TestAnExemptRequestPassesFromAnAgent(t *testing.T) {
	var pid int
	var mu sync.Mutex
	g := &agentpeer.Guard{Agents: func() []int { mu.Lock(); defer mu.Unlock(); return []int{pid} },
		Exempt: func(r *http.Request) bool { return r.URL.Path == "/mine" }}
	srv := httptest.NewServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served") })))
	defer srv.Close()
	out := runAgentTree(t, srv.URL+"/mine", func(p int) { mu.Lock(); pid = p; mu.Unlock() })
	if !strings.HasPrefix(out, "200 served") {
		t.Fatalf("the exempt call got: %s", out)
	}
}

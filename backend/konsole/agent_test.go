package konsole_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// noCLI makes a Konsole search for the CLI in an empty home with an empty PATH.
func noCLI(home string) func(*konsole.Config) {
	return func(c *konsole.Config) {
		c.Claude = ""
		for i, kv := range c.Env {
			if strings.HasPrefix(kv, "PATH=") {
				c.Env[i] = "PATH=" + filepath.Join(home, "empty-path")
			}
		}
	}
}

func TestWithoutTheCLIKonsoleSaysSoAndASetPathIsUsedAtOnceAndKept(t *testing.T) {
	home := t.TempDir()
	h := kt.Start(t, kt.Options{Home: home, Configure: noCLI(home)})

	status, health := h.Do("GET", "/healthz", nil)
	agent, _ := health["agent"].(map[string]any)
	if status != 200 || agent["ok"] != false || agent["code"] != "agent_not_found" {
		t.Fatalf("healthz %d %v", status, health)
	}
	_, got := h.Do("GET", "/v1/agent", nil)
	if got["code"] != "agent_not_found" || !strings.Contains(got["error"].(string), "npm install -g @anthropic-ai/claude-code") {
		t.Fatalf("GET /v1/agent %v", got)
	}

	// A session made meanwhile says why, with the reason in lastError and agent.
	status, sess := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work})
	sa, _ := sess["agent"].(map[string]any)
	if status != 201 || sess["status"] != "error" || sa["code"] != "agent_not_found" || !strings.Contains(sess["lastError"].(string), "not installed") {
		t.Fatalf("session %d %v", status, sess)
	}
	sid := sess["id"].(string)
	if status, body := h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "hi"}); status != 502 || body["code"] != "agent_not_found" {
		t.Fatalf("prompt without a CLI: %d %v", status, body)
	}

	// Too old: refused with a sentence, nothing changes.
	old := filepath.Join(home, "old", "claude")
	if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, []byte("#!/bin/sh\necho '1.0.44 (Claude Code)'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	status, body := h.Do("PUT", "/v1/agent", map[string]any{"path": old})
	if status != 422 || body["code"] != "agent_too_old" || !strings.Contains(body["error"].(string), "1.0.44") {
		t.Fatalf("PUT an old CLI: %d %v", status, body)
	}
	if _, got := h.Do("GET", "/v1/agent", nil); got["code"] != "agent_not_found" {
		t.Fatalf("a refused path was applied: %v", got)
	}

	// The real CLI: used by the next prompt of the same session, at once.
	st := h.Events(-1)
	real := kt.ClaudePath(t)
	status, body = h.Do("PUT", "/v1/agent", map[string]any{"path": real})
	if status != 200 || body["path"] != real || body["version"] != "2.1.328" {
		t.Fatalf("PUT the real CLI: %d %v", status, body)
	}
	st.Until(t, 10*time.Second, func(e kt.Event) bool { return e.Type == contract.EvAgentUpdated })
	turn := h.Prompt(sid, "hello after setting the path")
	st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	_, sess = h.Do("GET", "/v1/sessions/"+sid, nil)
	if sa, _ := sess["agent"].(map[string]any); sa["path"] != real || sa["version"] != "2.1.328" {
		t.Fatalf("the session's agent %v", sess["agent"])
	}
	st.Close()
	h.Server.Close()

	// Kept for the next start of the same data folder.
	again := kt.Start(t, kt.Options{Home: home, DataDir: h.DataDir, Fake: h.Fake, Configure: noCLI(home)})
	if _, got := again.Do("GET", "/v1/agent", nil); got["path"] != real {
		t.Fatalf("after a restart: %v", got)
	}
	if status, _ := again.Do("PUT", "/v1/agent", map[string]any{"path": ""}); status != 200 {
		t.Fatalf("forgetting the path: %d", status)
	}
	if _, got := again.Do("GET", "/v1/agent", nil); got["code"] != "agent_not_found" {
		t.Fatalf("after forgetting the path: %v", got)
	}
}

func TestKonsoleFindsTheCLIInTheUsersHomeWithoutPATH(t *testing.T) {
	home := t.TempDir()
	bin := filepath.Join(home, ".local", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(kt.ClaudePath(t), filepath.Join(bin, "claude")); err != nil {
		t.Fatal(err)
	}
	h := kt.Start(t, kt.Options{Home: home, Configure: noCLI(home)})
	_, got := h.Do("GET", "/v1/agent", nil)
	if got["path"] != filepath.Join(bin, "claude") || got["source"] != "~/.local/bin" || got["version"] != "2.1.328" {
		t.Fatalf("GET /v1/agent %v", got)
	}
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "hello")
	st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
}

package cli

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestRunFromTheCheckoutKonsoleFallsBackToTheRepositorysCLI builds konui
// into bin/ of a checkout (what make run starts) and runs it with no Claude
// Code on PATH or in HOME: it uses the checkout's .tools/claude.
func TestRunFromTheCheckoutKonsoleFallsBackToTheRepositorysCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds konui")
	}
	checkout := t.TempDir()
	for _, f := range []string{"go.mod", "wails.json", ".tools/claude/package.json"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(checkout, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(checkout, f), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cli := filepath.Join(checkout, ".tools", "claude", "node_modules", ".bin", "claude")
	if err := os.MkdirAll(filepath.Dir(cli), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cli, []byte("#!/bin/sh\necho '2.1.328 (Claude Code)'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(checkout, "bin", "konui")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := t.TempDir()
	cmd := exec.Command(bin, "konsole", "--listen", "127.0.0.1:0", "--data", filepath.Join(home, "data"), "--log-level", "error")
	cmd.Env = []string{"KONSOLE_TOKEN=repo-test", "HOME=" + home, "PATH=" + filepath.Join(home, "empty"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				lines <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("konui konsole did not start")
	}
	req, _ := http.NewRequest("GET", url+"/v1/agent", nil)
	req.Header.Set("Authorization", "Bearer repo-test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var agent struct{ Path, Version, Source string }
	if err := json.NewDecoder(resp.Body).Decode(&agent); err != nil {
		t.Fatal(err)
	}
	if agent.Path != cli || agent.Source != "repository" || agent.Version != "2.1.328" {
		t.Fatalf("agent %+v, want %s from the repository", agent, cli)
	}
}

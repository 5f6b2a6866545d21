package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/konui/konui/backend/konsole/runfile"
)

func TestARunningKonsoleWritesItsRunFileAndRemovesItOnACleanExit(t *testing.T) {
	home := t.TempDir()
	p := startKonsole(t, home, []string{"KONSOLE_TOKEN=runfile-token"}, "--listen", "127.0.0.1:0")
	info, ok, err := runfile.Read(p.data)
	if err != nil || !ok {
		t.Fatalf("run file: ok=%v err=%v", ok, err)
	}
	if info.PID != p.cmd.Process.Pid || !strings.HasPrefix(info.URL, "http://127.0.0.1:") || info.Listen != strings.TrimPrefix(info.URL, "http://") || info.Version == "" || info.StartedAt.IsZero() {
		t.Fatalf("run file %+v", info)
	}
	b, err := os.ReadFile(runfile.Path(p.data))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "runfile-token") {
		t.Fatalf("the run file holds the token: %s", b)
	}
	tok, err := os.ReadFile(info.TokenFile)
	if err != nil || strings.TrimSpace(string(tok)) != "runfile-token" {
		t.Fatalf("token file %s: %q %v", info.TokenFile, tok, err)
	}
	if fi, _ := os.Stat(info.TokenFile); fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", fi.Mode().Perm())
	}
	req, _ := http.NewRequest("GET", info.URL+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s/healthz: %d", info.URL, resp.StatusCode)
	}
	p.stop(t)
	if _, err := os.Stat(runfile.Path(p.data)); !os.IsNotExist(err) {
		t.Fatalf("the run file is still there after a clean exit: %v", err)
	}
}

func TestTheRunFileNamesTheStoredTokenFileWhenNoneIsGiven(t *testing.T) {
	home := t.TempDir()
	p := startKonsole(t, home, nil, "--listen", "127.0.0.1:0")
	info, ok, err := runfile.Read(p.data)
	if err != nil || !ok {
		t.Fatalf("run file: ok=%v err=%v", ok, err)
	}
	if want := filepath.Join(home, ".config", "konui", "konsole-token"); info.TokenFile != want {
		t.Fatalf("tokenFile %q, want %q", info.TokenFile, want)
	}
}

package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge/pairing"
)

// konsoleState polls the bridge of a `konui serve` at base for its first
// Konsole until cond holds or 20 s pass, and returns the last one seen.
func konsoleState(t *testing.T, base, token string, cond func(map[string]any) bool) map[string]any {
	t.Helper()
	var last map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", base+"api/konsoles", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var body struct {
				Konsoles []map[string]any `json:"konsoles"`
			}
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if len(body.Konsoles) > 0 {
				last = body.Konsoles[0]
				if cond(last) {
					return last
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// --konsole-ca keeps working beside pairing: a Konsole with a certificate
// that the CA file vouches for is followed; without the CA it is not.
func TestServeFollowsAnHTTPSKonsoleWithItsCAFile(t *testing.T) {
	home := t.TempDir()
	certDir := filepath.Join(home, "certs")
	cert, key, _, err := pairing.SelfSigned(certDir, pairing.CertHosts("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	k := startKonsole(t, home, []string{"KONSOLE_TOKEN=ca-konsole"}, "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
	line, _ := k.out.waitFor("Konsole listening on ", time.Second)
	konsoleURL := strings.Fields(strings.TrimPrefix(line, "Konsole listening on "))[0]
	if strings.Contains(k.out.all(), "konui://pair") {
		t.Fatalf("a Konsole with its own certificate printed a pairing string:\n%s", k.out.all())
	}
	tokenFile := filepath.Join(home, "konsole-token")
	if err := os.WriteFile(tokenFile, []byte("ca-konsole\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dashFile := filepath.Join(home, "dash-token")
	if err := os.WriteFile(dashFile, []byte("dash\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name  string
		extra []string
		want  func(map[string]any) bool
	}{
		{"with the CA", []string{"--konsole-ca", cert}, func(m map[string]any) bool { return m["state"] == "connected" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"serve", "--listen", "127.0.0.1:0", "--token-file", dashFile, "--data", filepath.Join(home, "serve-data"),
				"--konsole", konsoleURL, "--konsole-token-file", tokenFile, "--log-level", "error"}, c.extra...)
			cmd := exec.Command(konuiBinary(t), args...)
			cmd.Env = testEnv(home)
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			lr := newLineReader(out)
			open, ok := lr.waitFor("Open: ", 30*time.Second)
			if !ok {
				t.Fatalf("konui serve printed no address:\n%s", lr.all())
			}
			base := regexp.MustCompile(`http://[^#]+/`).FindString(open)
			if got := konsoleState(t, base, "dash", c.want); !c.want(got) {
				t.Fatalf("the Konsole's state %v", got)
			}
		})
	}
	// Each --konsole is tested at start: without the CA, serve does not
	// start and says why and what to do.
	t.Run("without it", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, konuiBinary(t), "serve", "--listen", "127.0.0.1:0", "--token-file", dashFile,
			"--data", filepath.Join(home, "serve-data"), "--konsole", konsoleURL, "--konsole-token-file", tokenFile, "--log-level", "error")
		cmd.Env = testEnv(home)
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil || err == nil {
			t.Fatalf("konui serve without the CA did not exit with an error (%v):\n%s", err, out)
		}
		for _, want := range []string{"certificate", "--konsole-ca", "pairing string"} {
			if !strings.Contains(string(out), want) {
				t.Fatalf("konui serve's error does not say %q:\n%s", want, out)
			}
		}
		if strings.Contains(string(out), "ca-konsole") {
			t.Fatalf("the error shows the token:\n%s", out)
		}
	})
}

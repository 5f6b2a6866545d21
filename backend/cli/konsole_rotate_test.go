package cli

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/runfile"
)

func getWith(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRotateTokenGivesARunningKonsoleANewTokenAtOnce: `konui konsole
// --rotate-token` writes a new token to the running Konsole's token file
// (0600, never printed); the Konsole refuses the old one at once, ends the
// event stream opened with it, and takes the new one, with no restart.
func TestRotateTokenGivesARunningKonsoleANewTokenAtOnce(t *testing.T) {
	home := t.TempDir()
	p := startKonsole(t, home, nil, "--listen", "127.0.0.1:0")
	info, ok, err := runfile.Read(p.data)
	if err != nil || !ok {
		t.Fatalf("run file: %v %v", ok, err)
	}
	file := filepath.Join(home, ".config", "konui", "konsole-token")
	old := strings.TrimSpace(mustRead(t, file))
	if getWith(t, info.URL+"/v1/sessions", old) != 200 {
		t.Fatal("the stored token does not work")
	}
	req, _ := http.NewRequest("GET", info.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+old)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("stream: %v", err)
	}
	ended := make(chan struct{})
	go func() { io.Copy(io.Discard, stream.Body); close(ended) }()
	defer stream.Body.Close()

	out, errb, code := runKonui(t, testEnv(home), "konsole", "--rotate-token", "--data", p.data)
	fresh := strings.TrimSpace(mustRead(t, file))
	if code != 0 || fresh == old || fresh == "" {
		t.Fatalf("--rotate-token: exit %d\n%s%s", code, out, errb)
	}
	for _, want := range []string{file, "took it at once", "pair again", "konui konsole --pairing"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errb, fresh) || strings.Contains(out+errb, old) {
		t.Fatalf("a token was printed:\n%s%s", out, errb)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the token file: %v %v", fi, err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream opened with the old token is still open")
	}
	if s := getWith(t, info.URL+"/v1/sessions", old); s != http.StatusUnauthorized {
		t.Fatalf("the old token after the rotation: %d", s)
	}
	if s := getWith(t, info.URL+"/v1/sessions", fresh); s != http.StatusOK {
		t.Fatalf("the new token: %d", s)
	}
}

func TestRotateTokenGoesAlone(t *testing.T) {
	var out, errb strings.Builder
	if code := Main([]string{"konsole", "--rotate-token", "--status"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--rotate-token goes alone") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}

package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serveOnce runs konui serve until it prints its URL, then stops it, and
// returns what stands after "#token=" (the token, or where it is).
func serveOnce(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rd, wr := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, append([]string{"--listen", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "error"}, args...), wr, io.Discard)
		wr.Close()
	}()
	found := make(chan string, 1)
	go func() {
		b := make([]byte, 0, 4096)
		buf := make([]byte, 512)
		re := regexp.MustCompile(`#token=([^\n]+)\n`)
		for {
			n, err := rd.Read(buf)
			b = append(b, buf[:n]...)
			if m := re.FindSubmatch(b); m != nil {
				found <- string(m[1])
				io.Copy(io.Discard, rd)
				return
			}
			if err != nil {
				found <- ""
				return
			}
		}
	}()
	var tok string
	select {
	case tok = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("konui serve printed no URL within 30 s")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("konui serve exited %d", code)
	}
	return tok
}

func TestServeKeepsItsTokenAcrossRunsUnlessOneIsGiven(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	t.Setenv("KONUI_TOKEN", "")
	t.Setenv("PATH", filepath.Join(home, "bin"))
	first := serveOnce(t)
	if len(first) != 64 {
		t.Fatalf("token %q", first)
	}
	path := filepath.Join(home, ".config", "konui", "serve-token")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stored token: %v %v", fi, err)
	}
	// Later runs, to a log rather than a terminal, say where the token is.
	if again := serveOnce(t); again != "<the token from "+path+">" {
		t.Fatalf("the second run printed %q, want where the kept token is", again)
	}
	if b, _ := os.ReadFile(path); strings.TrimSpace(string(b)) != first {
		t.Fatal("the second run made a new token")
	}
	t.Setenv("KONUI_TOKEN", "my-own-token")
	if given := serveOnce(t); given != "<the token from $KONUI_TOKEN>" {
		t.Fatalf("$KONUI_TOKEN was not used: %q", given)
	}
	if os.Getenv("KONUI_TOKEN") != "" {
		t.Fatal("$KONUI_TOKEN stayed in the environment (agents would inherit it)")
	}
	b, _ := os.ReadFile(path)
	if strings.TrimSpace(string(b)) != first {
		t.Fatal("a given token replaced the stored one")
	}
}

package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/testkit/konsoletest"
)

// parseKonsoles parses args as the window's flags and returns the targets.
func parseKonsoles(t *testing.T, args ...string) (DesktopFlags, error) {
	t.Helper()
	f, code, ok := ParseDesktop(args, io.Discard, io.Discard)
	if !ok {
		t.Fatalf("%v: exit %d", args, code)
	}
	_, err := f.Konsoles.Targets()
	return f, err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKonsoleFlagsTakeSeveralKonsolesEachWithItsOwnToken(t *testing.T) {
	t.Setenv("KONSOLE_TOKEN", "")
	t.Setenv("KONSOLE_URL", "")
	a, b := writeFile(t, "a", "token-a\n"), writeFile(t, "b", "token-b\n")
	pair := pairing.Pairing{URL: "https://devbox:7421", Token: "token-p", Fingerprint: strings.Repeat("ab", 32)}.String()
	p := writeFile(t, "pair", pair+"\n")
	f, _, _ := ParseDesktop([]string{"--konsole", "https://one:7421", "--konsole", "ssh://me@box", "--konsole", "http://two:7421",
		"--konsole-token-file", a, "--konsole-token-file", b, "--konsole-pairing-file", p}, io.Discard, io.Discard)
	targets, err := f.Konsoles.Targets()
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 4 {
		t.Fatalf("targets %+v", targets)
	}
	if targets[0].URL != "https://one:7421" || targets[0].Token != "token-a" || targets[1].SSH != "ssh://me@box" || targets[1].Token != "" ||
		targets[2].URL != "http://two:7421" || targets[2].Token != "token-b" || targets[3].Pairing != pair {
		t.Fatalf("targets %+v", targets)
	}
}

func TestKonsoleFlagsRefuseTokensOnTheCommandLineAndSayWhatIsMissing(t *testing.T) {
	t.Setenv("KONSOLE_TOKEN", "")
	t.Setenv("KONSOLE_URL", "")
	pair := pairing.Pairing{URL: "https://devbox:7421", Token: "secret-in-pairing", Fingerprint: strings.Repeat("ab", 32)}.String()
	tok := writeFile(t, "t", "x")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--konsole", pair}, "--konsole-pairing-file"},
		{[]string{"--konsole", "konui://pair?garbage&token=secret-in-pairing"}, "--konsole-pairing-file"},
		{[]string{"--konsole", "https://one:7421"}, "--konsole needs --konsole-token-file FILE (or $KONSOLE_TOKEN)"},
		{[]string{"--konsole", "https://one:7421", "--konsole", "https://two:7421", "--konsole-token-file", tok}, "2 http(s) --konsole but 1 --konsole-token-file"},
		{[]string{"--konsole", "ssh://me@box", "--konsole-token-file", tok}, "1 --konsole-token-file for 0 http(s) --konsole"},
		{[]string{"--konsole", "ftp://one"}, "is not a Konsole"},
		{[]string{"--konsole-pairing-file", tok}, "holds no pairing string"},
		{[]string{"--konsole-token", "x"}, "is refused"},
	} {
		_, err := parseKonsoles(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-in-pairing") {
			t.Errorf("%v: the error shows the token: %v", c.args, err)
		}
	}
}

func TestOneKonsoleMayTakeItsURLAndTokenFromTheEnvironment(t *testing.T) {
	t.Setenv("KONSOLE_URL", "https://env:7421")
	t.Setenv("KONSOLE_TOKEN", "env-token")
	f, _, _ := ParseDesktop(nil, io.Discard, io.Discard)
	targets, err := f.Konsoles.Targets()
	if err != nil || len(targets) != 1 || targets[0].URL != "https://env:7421" || targets[0].Token != "env-token" {
		t.Fatalf("%+v %v", targets, err)
	}
	if os.Getenv("KONSOLE_TOKEN") != "" {
		t.Fatal("$KONSOLE_TOKEN stayed in the environment (agents would inherit it)")
	}
}

// TestServeFollowsEveryKonsoleOfItsFlags runs konui serve on two real
// Konsoles: it says which it serves and runs no local one.
func TestServeFollowsEveryKonsoleOfItsFlags(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	t.Setenv("KONSOLE_URL", "")
	a, b := konsoletest.Start(t, konsoletest.Options{}), konsoletest.Start(t, konsoletest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out konsoletest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"--listen", "127.0.0.1:0", "--log-level", "error", "--konsole", a.URL, "--konsole", b.URL,
			"--konsole-token-file", writeFile(t, "a", a.Token), "--konsole-token-file", writeFile(t, "b", b.Token)}, &out, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Open:") {
		select {
		case code := <-done:
			t.Fatalf("konui serve exited %d: %s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL within 30 s: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if want := "for Konsole at " + a.URL + ", Konsole at " + b.URL + "."; !strings.Contains(out.String(), want) {
		t.Fatalf("stdout %q, want %q", out.String(), want)
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "konui", "konsole")); err == nil {
		t.Fatal("a local Konsole ran beside the --konsole ones")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}

package cli

import (
	"bytes"
	"flag"
	"strings"
	"testing"

	"github.com/konui/konui/backend/konsole"
)

// A non-loopback konui konsole without a certificate serves a self-signed
// one (konsole_pairing_test.go); the check stays for the bridge and for
// konsole.New alone.
func TestPlainHTTPOnANonLoopbackAddressIsRefused(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:1", "localhost:1", "[::1]:1"} {
		if err := konsole.CheckListen(ok, false, false); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{":7421", "0.0.0.0:1", "192.168.1.2:1"} {
		if konsole.CheckListen(bad, false, false) == nil {
			t.Errorf("%s allowed without TLS", bad)
		}
		if konsole.CheckListen(bad, true, false) != nil || konsole.CheckListen(bad, false, true) != nil {
			t.Errorf("%s refused with TLS or --insecure-remote", bad)
		}
	}
}

func TestUnknownModesAndFlagsExitWithUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "Usage") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := Main([]string{"konsole", "--no-such-flag"}, &out, &errb); code != 2 {
		t.Fatalf("code %d", code)
	}
}

func TestHelpGoesToStdoutWithExitZeroOnEveryCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{{[]string{"-h"}, "Usage:"}, {[]string{"--help"}, "Usage:"}, {[]string{"help"}, "Usage:"},
		{[]string{"serve", "-h"}, "-listen"}, {[]string{"serve", "--help"}, "-konsole-ca"},
		{[]string{"konsole", "-h"}, "-token-file"}, {[]string{"konsole", "--help"}, "-keep-events"}} {
		var out, errb bytes.Buffer
		if code := Main(c.args, &out, &errb); code != 0 || errb.Len() != 0 || !strings.Contains(out.String(), c.want) {
			t.Fatalf("%v: code %d stdout %q stderr %q", c.args, code, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	Main([]string{"--help"}, &out, &errb)
	for _, f := range []string{"-konsole ", "-konsole-token", "-data", "-claude", "-log-level"} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("konui --help does not list the window's %s flag:\n%s", f, out.String())
		}
	}
}

func TestVersionFlagAndModePrintTheVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-v"}} {
		var out, errb bytes.Buffer
		if code := Main(args, &out, &errb); code != 0 || out.String() != "konui "+Version+"\n" {
			t.Fatalf("%v: code %d stdout %q stderr %q", args, code, out.String(), errb.String())
		}
	}
}

func TestTheManPageListsEveryFlagOfEveryCommand(t *testing.T) {
	var b bytes.Buffer
	if err := WriteManPage(&b, "1.2.3", "2026-12-01"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.HasPrefix(page, `.TH KONUI 1 "2026-12-01" "konui 1.2.3"`) {
		t.Fatalf("header: %.80s", page)
	}
	for _, c := range Commands() {
		if !strings.Contains(page, ".SS "+c.Name+"\n") {
			t.Errorf("no section for %s", c.Name)
		}
		c.Flags.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(page, ".B \\-\\-"+strings.ReplaceAll(f.Name, "-", "\\-")) {
				t.Errorf("%s --%s is missing", c.Name, f.Name)
			}
		})
	}
}

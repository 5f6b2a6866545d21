package sshtunnel

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseURLReadsWhatPeopleWriteAndRefusesTheRest(t *testing.T) {
	good := map[string]Target{
		"ssh://devbox":                            {Host: "devbox"},
		" ssh://me@devbox:2222 ":                  {User: "me", Host: "devbox", Port: 2222}, //nolint:gocritic // the spaces are the input under test
		"ssh://me@devbox/":                        {User: "me", Host: "devbox"},
		"ssh://[::1]:22":                          {Host: "::1", Port: 22},
		"ssh://devbox?konui=/opt/konui/bin/konui": {Host: "devbox", Command: "/opt/konui/bin/konui"},
		"ssh://devbox?konui=~/bin/konui":          {Host: "devbox", Command: "~/bin/konui"},
	}
	for in, want := range good {
		got, err := ParseURL(in)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"devbox":                   "does not start with ssh://",
		"https://devbox":           "does not start with ssh://",
		"ssh://":                   "no host",
		"ssh://-oProxyCommand=x":   "starts with a dash",
		"ssh://-x@devbox":          "starts with a dash",
		"ssh://me:pw@devbox":       "has a password",
		"ssh://devbox:0":           "from 1 to 65535",
		"ssh://devbox:70000":       "from 1 to 65535",
		"ssh://devbox/home/me":     "has a path",
		"ssh://devbox?cmd=rm":      "unknown option",
		"ssh://devbox?konui=":      "konui= is empty",
		"ssh://devbox?konui=a%0Ab": "line break",
	}
	for in, want := range bad {
		_, err := ParseURL(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseURL(%q): %v, want an error saying %q", in, err, want)
		}
	}
}

func TestTheRemoteCommandQuotesThePathForTheShell(t *testing.T) {
	for cmd, want := range map[string]string{
		"":                     "konui konsole --over-ssh",
		"/usr/local/bin/konui": "/usr/local/bin/konui konsole --over-ssh",
		"/opt/my konui/konui":  "'/opt/my konui/konui' konsole --over-ssh",
		"/x/it's; rm -rf ~":    `'/x/it'\''s; rm -rf ~' konsole --over-ssh`,
		"~/bin/konui":          "~/bin/konui konsole --over-ssh",
		"~/my bin/$(id)":       "~/'my bin/$(id)' konsole --over-ssh",
	} {
		if got := (Target{Host: "h", Command: cmd}).remoteCommand(); got != want {
			t.Errorf("command %q: %q, want %q", cmd, got, want)
		}
	}
}

func TestSSHsArgumentsHoldTheOptionsAndNoSecret(t *testing.T) {
	tn := New(Target{User: "me", Host: "devbox", Port: 2222, Command: "/opt/konui"}, Options{SSH: []string{"ssh", "-F", "/x/config"}})
	defer tn.Close()
	got := tn.args(40001, "127.0.0.1", 7421)
	want := []string{"-F", "/x/config", "-T", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
		"-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3", "-o", "ConnectTimeout=15",
		"-o", "ControlMaster=no", "-o", "ControlPath=none", "-L", "127.0.0.1:40001:127.0.0.1:7421",
		"-p", "2222", "-l", "me", "--", "devbox", "/opt/konui konsole --over-ssh"}
	if !slices.Equal(got, want) {
		t.Fatalf("args\n%q\nwant\n%q", got, want)
	}
	if v6 := tn.args(1, "::1", 2); !slices.Contains(v6, "127.0.0.1:1:[::1]:2") {
		t.Fatalf("IPv6 forward: %q", v6)
	}
}

func TestKONUI_SSH_COMMANDIsSplitOnSpaces(t *testing.T) {
	t.Setenv("KONUI_SSH_COMMAND", "  /usr/bin/ssh  -F /tmp/c ")
	tn := New(Target{Host: "h"}, Options{})
	defer tn.Close()
	if !slices.Equal(tn.opt.SSH, []string{"/usr/bin/ssh", "-F", "/tmp/c"}) {
		t.Fatalf("SSH %q", tn.opt.SSH)
	}
	t.Setenv("KONUI_SSH_COMMAND", "")
	tn2 := New(Target{Host: "h"}, Options{})
	defer tn2.Close()
	if !slices.Equal(tn2.opt.SSH, []string{"ssh"}) {
		t.Fatalf("default SSH %q", tn2.opt.SSH)
	}
}

func TestTheAnswerIsTheFirstJSONLineAfterWhatStartUpFilesPrint(t *testing.T) {
	w := &lineWriter{found: make(chan []byte, 1)}
	for _, p := range []string{"Welcome to devbox\nlast log", "in: today\n", `{"url":"http://127.0.0.1:7421",`, `"token":"t"}` + "\n", `{"second":1}` + "\n"} {
		w.Write([]byte(p))
	}
	select {
	case l := <-w.found:
		if string(l) != `{"url":"http://127.0.0.1:7421","token":"t"}` {
			t.Fatalf("answer %q", l)
		}
	default:
		t.Fatal("no answer found")
	}
}

func TestForwardTargetIsTheKonsolesLoopbackAddressOnly(t *testing.T) {
	for in, want := range map[string]string{"http://127.0.0.1:7421": "127.0.0.1:7421", "http://localhost:9": "127.0.0.1:9", "http://[::1]:80": "::1:80"} {
		h, p, err := forwardTarget(in)
		if err != nil || h+":"+strconv.Itoa(p) != want {
			t.Errorf("forwardTarget(%q) = %s %d %v, want %s", in, h, p, err, want)
		}
	}
	for _, in := range []string{"https://127.0.0.1:7421", "http://10.0.0.2:7421", "http://127.0.0.1", "http://devbox:7421"} {
		if _, _, err := forwardTarget(in); err == nil {
			t.Errorf("forwardTarget(%q): no error", in)
		}
	}
}

package sshtunnel

import (
	"os/exec"
	"strings"
	"testing"
)

func TestClassifyNamesEachWayTheRemoteSideCanFail(t *testing.T) {
	tg := Target{User: "me", Host: "devbox"}
	_, notFound := exec.LookPath("no-such-ssh-here")
	cases := []struct {
		exit   int
		stderr string
		runErr error
		code   string
		says   string
	}{
		{127, "bash: line 1: konui: command not found\n", nil, CodeNotInstalled, "konui is not installed on me@devbox (ssh said: bash: line 1: konui: command not found); install it there"},
		{126, "bash: line 1: /opt/konui: Permission denied\n", nil, CodeNotInstalled, "konui is not installed on me@devbox"},
		{2, "flag provided but not defined: -over-ssh\nRun \"konui konsole -h\" for its flags.\n", nil, CodeTooOld, "does not know --over-ssh"},
		{255, "ssh: connect to host devbox port 22: Connection refused\r\n", nil, CodeSSH, "failed to connect to me@devbox over ssh (ssh said: ssh: connect to host devbox port 22: Connection refused)"},
		{255, "ssh: Could not resolve hostname devbox: Name or service not known\n", nil, CodeSSH, "Could not resolve hostname"},
		{-1, "", nil, CodeSSH, "ended before konui there answered (ssh said: nothing)"},
		{1, "", nil, CodeSSH, "ended with status 1"},
		{-1, "", notFound, CodeSSH, "install OpenSSH's client"},
	}
	for _, c := range cases {
		e := classify(tg, c.exit, c.stderr, c.runErr)
		if e.Code != c.code || !strings.Contains(e.Message, c.says) {
			t.Errorf("exit %d %q: %s %q; want %s saying %q", c.exit, c.stderr, e.Code, e.Message, c.code, c.says)
		}
	}
}

func TestSaidKeepsSSHsLastWordsAndDropsItsBanner(t *testing.T) {
	long := strings.Repeat("x", 1000)
	for in, want := range map[string]string{
		"": "nothing",
		"@@@@@@\n@  WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!  @\n@@@@@@\nHost key for devbox has changed and you have requested strict checking.\nHost key verification failed.\n": "Host key for devbox has changed and you have requested strict checking. Host key verification failed.",
		"one\ntwo\nthree\n": "two three",
		long:                "..." + long[:saidLimit],
	} {
		if got := said(in); got != want {
			t.Errorf("said(%.40q) = %.80q, want %.80q", in, got, want)
		}
	}
}

func TestAMessageNamesTheSSHPortWhenOneIsGiven(t *testing.T) {
	e := classify(Target{User: "nobody", Host: "127.0.0.1", Port: 2222}, 255, "ssh: connect to host 127.0.0.1 port 2222: Connection refused\n", nil)
	if !strings.Contains(e.Message, "failed to connect to nobody@127.0.0.1:2222 over ssh") {
		t.Fatalf("%q", e.Message)
	}
}

package sshtunnel

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Codes of an *Error. A caller that answers over HTTP maps every one to
// 502 "ssh_failed"; the code tells a program which case it was.
const (
	// CodeNotInstalled: the remote shell found no konui to run.
	CodeNotInstalled = "konui_not_installed"
	// CodeTooOld: the remote konui does not know --over-ssh.
	CodeTooOld = "konui_too_old"
	// CodeHostKey: ssh refused the remote host's key (unknown or changed).
	CodeHostKey = "ssh_host_key"
	// CodeRefused: the SSH server refused the login.
	CodeRefused = "ssh_refused"
	// CodeSSH: any other failure of ssh (it could not connect, it is not
	// installed here, it gave up).
	CodeSSH = "ssh_failed"
	// CodeTimeout: the remote side did not answer in time.
	CodeTimeout = "ssh_timeout"
	// CodeForward: the port forward does not reach the Konsole.
	CodeForward = "ssh_forward_failed"
	// CodeBadAnswer: the remote konui printed something else than its line.
	CodeBadAnswer = "ssh_bad_answer"
)

// Error is a failure to reach the remote Konsole. Message is a sentence
// for a person, with ssh's own words where it had any; Code is one of the
// Code constants or the code of the remote konui's own error.
type Error struct {
	Code, Message string
}

func (e *Error) Error() string { return e.Message }

// ErrClosed is returned by Endpoint after Close.
var ErrClosed = errors.New("the SSH tunnel is closed")

// saidLimit bounds the part of ssh's output quoted in a sentence.
const saidLimit = 300

// said is the meaningful tail of ssh's stderr for a sentence: its last
// lines that are not banners (the @@@ frame of a changed host key, the
// lines of advice around it are left out when a better one is there).
func said(stderr string) string {
	var keep []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.Trim(l, "@") == "" || strings.HasPrefix(l, "@") {
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) > 2 {
		keep = keep[len(keep)-2:]
	}
	s := strings.Join(keep, " ")
	if len(s) > saidLimit {
		s = "..." + s[len(s)-saidLimit:]
	}
	if s == "" {
		return "nothing"
	}
	return s
}

// classify turns how ssh ended before the remote konui answered into an
// *Error. exit is ssh's exit code (-1 when it did not start or was
// killed); ssh itself exits 255, else the code is the remote command's.
func classify(t Target, exit int, stderr string, runErr error) *Error {
	host := t.name()
	words := said(stderr)
	var notFound *exec.Error
	if errors.As(runErr, &notFound) {
		return &Error{Code: CodeSSH, Message: fmt.Sprintf("failed to run ssh to reach %s: %v; install OpenSSH's client (or set $KONUI_SSH_COMMAND)", host, runErr)}
	}
	switch {
	case exit == 127 || exit == 126:
		return &Error{Code: CodeNotInstalled, Message: fmt.Sprintf("konui is not installed on %s (ssh said: %s); install it there, or give its path as %s?konui=/path/to/konui", host, words, t)}
	case exit == 2 && strings.Contains(stderr, "over-ssh"):
		return &Error{Code: CodeTooOld, Message: fmt.Sprintf("konui on %s does not know --over-ssh (ssh said: %s); update it there", host, words)}
	case exit == 255 && strings.Contains(stderr, "Host key verification failed"):
		if strings.Contains(stderr, "HAS CHANGED") || strings.Contains(stderr, "has changed") {
			return &Error{Code: CodeHostKey, Message: fmt.Sprintf("the host key of %s has changed since you last connected (ssh said: %s); if you know why (a reinstalled machine), remove the old key with ssh-keygen -R and connect once with ssh to accept the new one", host, words)}
		}
		return &Error{Code: CodeHostKey, Message: fmt.Sprintf("the host key of %s is not known (ssh said: %s); connect once with ssh %s to check and accept it, then try again", host, words, host)}
	case exit == 255 && strings.Contains(stderr, "Permission denied"):
		return &Error{Code: CodeRefused, Message: fmt.Sprintf("%s refused the SSH login (ssh said: %s); check that your key is in its authorized_keys and loaded (ssh-add -l)", host, words)}
	case exit == 255:
		return &Error{Code: CodeSSH, Message: fmt.Sprintf("failed to connect to %s over ssh (ssh said: %s)", host, words)}
	case exit < 0:
		return &Error{Code: CodeSSH, Message: fmt.Sprintf("ssh to %s ended before konui there answered (ssh said: %s)", host, words)}
	default:
		return &Error{Code: CodeSSH, Message: fmt.Sprintf("konui on %s ended with status %d before it answered (ssh said: %s)", host, exit, words)}
	}
}

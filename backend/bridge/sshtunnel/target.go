package sshtunnel

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultCommand is the remote konui when the target names none: found
// through the PATH of a non-interactive shell there.
const DefaultCommand = "konui"

// Target is a machine to reach and the konui to run there.
type Target struct {
	// User and Port may be empty and 0: ssh's config (or its defaults)
	// decides them then.
	User, Host string
	Port       int
	// Command is the remote konui, DefaultCommand when empty.
	Command string
}

// ParseURL reads ssh://[user@]host[:port][?konui=/path/to/konui].
func ParseURL(s string) (Target, error) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("failed to read the SSH address %q: give it as ssh://user@host[:port]", s)
	}
	if u.Scheme != "ssh" {
		return Target{}, fmt.Errorf("the SSH address %q does not start with ssh:// (give it as ssh://user@host[:port])", s)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return Target{}, fmt.Errorf("the SSH address %q has a path; give it as ssh://user@host[:port][?konui=/path/to/konui]", s)
	}
	t := Target{Host: u.Hostname()}
	if err := checkWord("host", t.Host); err != nil {
		return Target{}, err
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return Target{}, fmt.Errorf("the SSH address has a password: konui uses your SSH keys and agent, leave the password out")
		}
		t.User = u.User.Username()
		if err := checkWord("user", t.User); err != nil {
			return Target{}, err
		}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("the SSH port %q is not a number from 1 to 65535", p)
		}
		t.Port = n
	}
	q := u.Query()
	for k := range q {
		if k != "konui" {
			return Target{}, fmt.Errorf("the SSH address has an unknown option %q (only ?konui=/path/to/konui)", k)
		}
	}
	if q.Has("konui") {
		t.Command = q.Get("konui")
		if t.Command == "" || strings.ContainsAny(t.Command, "\x00\n\r") {
			return Target{}, fmt.Errorf("the SSH address's konui= is empty or has a line break; give the path of konui on that machine")
		}
	}
	return t, nil
}

// checkWord refuses what ssh would read as an option or that holds space
// or control characters.
func checkWord(what, v string) error {
	if v == "" {
		if what == "host" {
			return fmt.Errorf("the SSH address has no host; give it as ssh://user@host[:port]")
		}
		return fmt.Errorf("the SSH address has an empty user name")
	}
	if strings.HasPrefix(v, "-") {
		return fmt.Errorf("the SSH %s %q starts with a dash", what, v)
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("the SSH %s %q has a space or a control character", what, v)
		}
	}
	return nil
}

// String is the target as ssh://[user@]host[:port] (without konui=), for
// sentences and logs.
func (t Target) String() string {
	u := url.URL{Scheme: "ssh", Host: t.Host}
	if t.Port != 0 {
		u.Host = t.Host + ":" + strconv.Itoa(t.Port)
		if strings.Contains(t.Host, ":") {
			u.Host = "[" + t.Host + "]:" + strconv.Itoa(t.Port)
		}
	}
	if t.User != "" {
		u.User = url.User(t.User)
	}
	return u.String()
}

// name is the host as people say it: user@host, with :port when given.
func (t Target) name() string {
	n := t.Host
	if t.Port != 0 {
		n = net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	}
	if t.User != "" {
		return t.User + "@" + n
	}
	return n
}

// remoteCommand is the command line the remote shell runs. The konui path
// is quoted for a POSIX shell; a leading ~/ stays outside the quotes so
// that the shell expands it.
func (t Target) remoteCommand() string {
	c := t.Command
	if c == "" {
		c = DefaultCommand
	}
	var q string
	if rest, ok := strings.CutPrefix(c, "~/"); ok {
		q = "~/" + shellQuote(rest)
	} else {
		q = shellQuote(c)
	}
	return q + " konsole --over-ssh"
}

// shellQuote quotes s for a POSIX shell unless it is made of plainly safe
// characters only.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@%=,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

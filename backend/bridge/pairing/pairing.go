package pairing

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Scheme and host of a pairing string: konui://pair?...
const (
	Scheme = "konui"
	Host   = "pair"
)

// Pairing is what a person needs to reach one Konsole: where it is, its
// token, and the certificate it presents.
type Pairing struct {
	// URL is the Konsole's https base URL.
	URL string
	// Token is the Konsole's API token.
	Token string
	// Fingerprint is the SHA-256 of the Konsole's leaf certificate (DER),
	// 64 lowercase hex digits (see Fingerprint).
	Fingerprint string
}

// String is the pairing string:
// konui://pair?v=1&url=<query-escaped>&token=<T>&sha256=<hex>.
// It holds the token: print it only where a token may be printed.
func (p Pairing) String() string {
	return Scheme + "://" + Host + "?v=1&url=" + url.QueryEscape(p.URL) + "&token=" + url.QueryEscape(p.Token) +
		"&sha256=" + p.Fingerprint
}

// Parse reads a pairing string (surrounding space is ignored). Each fault
// gets its own sentence; none repeats the token.
func Parse(s string) (Pairing, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Pairing{}, errors.New("the pairing string is empty: paste the line that `konui konsole` printed (it starts with konui://pair?)")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != Scheme || u.Host != Host || u.Path != "" {
		return Pairing{}, errors.New("this is not a pairing string: a pairing string starts with konui://pair? (`konui konsole --pairing` prints it again on the Konsole's machine)")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Pairing{}, errors.New("the pairing string is damaged (its query cannot be read): copy the whole line again")
	}
	switch v := q.Get("v"); v {
	case "1":
	case "":
		return Pairing{}, errors.New("the pairing string has no version (v=1): copy the whole line again")
	default:
		return Pairing{}, fmt.Errorf("the pairing string is of version %.10q, and this konui reads version 1: update konui on this machine", v)
	}
	p := Pairing{URL: q.Get("url"), Token: q.Get("token"), Fingerprint: strings.ToLower(q.Get("sha256"))}
	if p.URL == "" {
		return Pairing{}, errors.New("the pairing string has no Konsole URL (url=): copy the whole line again")
	}
	ku, err := url.Parse(p.URL)
	if err != nil || ku.Scheme != "https" || ku.Host == "" || ku.User != nil || ku.RawQuery != "" || ku.Fragment != "" {
		return Pairing{}, fmt.Errorf("the Konsole URL %.200q in the pairing string is not an https address (https://host:port)", p.URL)
	}
	if p.Token == "" {
		return Pairing{}, errors.New("the pairing string has no token (token=): copy the whole line again")
	}
	if strings.ContainsAny(p.Token, " \t\r\n") {
		return Pairing{}, errors.New("the token in the pairing string holds spaces or line breaks: copy the whole line again, as one line")
	}
	if p.Fingerprint == "" {
		return Pairing{}, errors.New("the pairing string has no certificate fingerprint (sha256=): copy the whole line again")
	}
	if !validFingerprint(p.Fingerprint) {
		return Pairing{}, errors.New("the certificate fingerprint in the pairing string is not 64 hex digits: copy the whole line again")
	}
	return p, nil
}

func validFingerprint(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

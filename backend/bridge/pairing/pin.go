package pairing

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Fingerprint is the SHA-256 of a certificate's DER bytes, 64 lowercase hex.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// MismatchError is a TLS connection refused because the server presented
// a certificate other than the one paired.
type MismatchError struct {
	// Host is the host:port dialled.
	Host string
	// Want is the paired fingerprint, Got the presented one.
	Want, Got string
}

func (e *MismatchError) Error() string {
	where := "the Konsole"
	if e.Host != "" {
		where = "the Konsole at " + e.Host
	}
	got := "none"
	if e.Got != "" {
		got = short(e.Got)
	}
	return fmt.Sprintf("the certificate of %s is not the one paired (paired SHA-256 %s, presented %s), so konui did not connect: "+
		"if that Konsole made a new certificate, pair again with the string that `konui konsole --pairing` prints on its machine; "+
		"if it did not, something between the two machines may be posing as it", where, short(e.Want), got)
}

func short(fp string) string {
	if len(fp) > 16 {
		return fp[:16] + "…"
	}
	return fp
}

// PinnedClient is an HTTP client whose TLS accepts exactly the leaf
// certificate with this fingerprint (see Fingerprint): no CA, no host name
// check, no expiry check, since the pin says more than any of them. Any
// other certificate fails the handshake with a *MismatchError (reach it
// with errors.As through the *url.Error). Plain http is refused.
func PinnedClient(fingerprint string) *http.Client {
	want := strings.ToLower(fingerprint)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain check is replaced, not dropped: VerifyConnection
		// compares the leaf with the pin on every handshake, resumed ones too.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			got := ""
			if len(cs.PeerCertificates) > 0 {
				got = Fingerprint(cs.PeerCertificates[0].Raw)
			}
			if len(want) != 64 || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				return &MismatchError{Host: cs.ServerName, Want: want, Got: got}
			}
			return nil
		},
	}
	return &http.Client{Transport: &httpsOnly{t}}
}

// httpsOnly refuses plain http, which would carry the token unpinned.
type httpsOnly struct{ *http.Transport }

func (h *httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errors.New("failed to send the request: a pinned Konsole is reached over https only")
	}
	resp, err := h.Transport.RoundTrip(r)
	var mm *MismatchError
	if errors.As(err, &mm) {
		mm.Host = r.URL.Host // the handshake knows no name for an IP address
	}
	return resp, err
}

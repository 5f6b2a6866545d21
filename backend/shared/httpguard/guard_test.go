package httpguard

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func certFor(t *testing.T, names []string, ips []net.IP) *tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), DNSNames: names, IPAddresses: ips}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestAllowedHostsNameLoopbackTheListenHostAndTheCertificate(t *testing.T) {
	hosts := AllowedHosts("192.0.2.7", certFor(t, []string{"DevBox.example"}, []net.IP{net.ParseIP("198.51.100.1")}))
	for _, want := range []string{"localhost", "127.0.0.1", "::1", "192.0.2.7", "devbox.example", "198.51.100.1"} {
		if !slices.Contains(hosts, want) {
			t.Errorf("%s is not allowed: %v", want, hosts)
		}
	}
	if wild := AllowedHosts("0.0.0.0"); len(wild) <= 3 {
		t.Errorf("a wildcard listen address allows only %v, not this machine's names", wild)
	}
}

func TestHostsAnswers421ToAnyOtherName(t *testing.T) {
	h := Hosts([]string{"devbox.example"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for host, want := range map[string]int{
		"127.0.0.1:7421": 200, "[::1]:7421": 200, "localhost": 200, "LOCALHOST:1": 200, "a.localhost:1": 200,
		"127.8.9.10": 200, "devbox.example:7421": 200, "devbox.example.": 200,
		"evil.example": 421, "localhost.evil.example": 421, "127.0.0.1.evil.example": 421, "": 421, "devbox.example.evil": 421,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
		}
		if want == 421 && w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("Host %q: the 421 is not JSON", host)
		}
	}
}

// TestHosts421QuotesALongHostWholeCharactersOnly: the refused name in the
// sentence is cut between characters, and the answer is the API's error
// shape.
func TestHosts421QuotesALongHostWholeCharactersOnly(t *testing.T) {
	h := Hosts(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "x" + strings.Repeat("é", 200)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var e map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != 421 || e["code"] != "bad_host" || len(e) != 2 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if strings.ContainsRune(e["error"], utf8.RuneError) || !strings.Contains(e["error"], `éé…"`) {
		t.Errorf("the host is not cut between characters: %q", e["error"])
	}
}

package pairing

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/konui/konui/backend/konsole"
)

// startTLSKonsole runs a real Konsole serving TLS with the certificate in
// certDir (made there on first use) on listen.
func startTLSKonsole(t *testing.T, certDir, listen string) (k *konsole.Server, fingerprint string) {
	t.Helper()
	cert, key, fp, err := SelfSigned(certDir, CertHosts("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	k, err = konsole.New(konsole.Config{Listen: listen, Token: "pin-token", DataDir: t.TempDir(), Claude: "/bin/false",
		SkipAgentCheck: true, TLSCert: cert, TLSKey: key, Version: "9.9.9", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Start(); err != nil {
		k.Close()
		t.Fatal(err)
	}
	return k, fp
}

func getSessions(c *http.Client, base string) (int, error) {
	req, _ := http.NewRequestWithContext(context.Background(), "GET", base+"/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer pin-token")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

func TestAPinnedSelfSignedCertificateConnectsAndAnotherOnTheSameAddressIsRefused(t *testing.T) {
	k, fp := startTLSKonsole(t, t.TempDir(), "127.0.0.1:0")
	base := k.URL()
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("Konsole URL %q", base)
	}
	if code, err := getSessions(PinnedClient(fp), base); err != nil || code != 200 {
		t.Fatalf("the pinned client: %d %v", code, err)
	}
	// The default client refuses it: the certificate is signed by nobody.
	if _, err := getSessions(&http.Client{}, base); err == nil {
		t.Fatal("a client without the pin accepted a self-signed certificate")
	}
	addr := strings.TrimPrefix(base, "https://")
	k.Close()

	// Another Konsole on the same address, with a certificate of its own.
	other, otherFP := startTLSKonsole(t, t.TempDir(), addr)
	defer other.Close()
	if otherFP == fp {
		t.Fatal("two certificates with one fingerprint")
	}
	_, err := getSessions(PinnedClient(fp), base)
	var mm *MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("a changed certificate: %v, want a *MismatchError", err)
	}
	if mm.Want != fp || mm.Got != otherFP || mm.Host != addr {
		t.Fatalf("MismatchError %+v", mm)
	}
	for _, want := range []string{"is not the one paired", "pair again", "konui konsole --pairing", "127.0.0.1"} {
		if !strings.Contains(mm.Error(), want) {
			t.Errorf("the sentence %q lacks %q", mm.Error(), want)
		}
	}
	// And the new pin works.
	if code, err := getSessions(PinnedClient(otherFP), base); err != nil || code != 200 {
		t.Fatalf("the new pin: %d %v", code, err)
	}
}

func TestAPinnedClientRefusesPlainHTTPAndAnEmptyPin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) })}
	go srv.Serve(ln)
	defer srv.Close()
	if _, err := getSessions(PinnedClient(fp), "http://"+ln.Addr().String()); err == nil || !strings.Contains(err.Error(), "https only") {
		t.Fatalf("plain http: %v", err)
	}
	k, _ := startTLSKonsole(t, t.TempDir(), "127.0.0.1:0")
	defer k.Close()
	var mm *MismatchError
	if _, err := getSessions(PinnedClient(""), k.URL()); !errors.As(err, &mm) {
		t.Fatalf("an empty pin: %v", err)
	}
}

func TestTheSelfSignedCertificateIsMadeOnceWithAPrivateKeyAndItsNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "konsole")
	cert, key, fp, err := SelfSigned(dir, []string{"dev.example", "192.0.2.7", "[::1]"})
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(cert)
	blk, _ := pem.Decode(b)
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if Fingerprint(leaf.Raw) != fp || len(fp) != 64 {
		t.Fatalf("fingerprint %q", fp)
	}
	if !slices.Equal(leaf.DNSNames, []string{"dev.example"}) || len(leaf.IPAddresses) != 2 || leaf.IPAddresses[0].String() != "192.0.2.7" || leaf.IPAddresses[1].String() != "::1" {
		t.Fatalf("names %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if err := leaf.VerifyHostname("dev.example"); err != nil {
		t.Fatal(err)
	}
	_, _, again, err := SelfSigned(dir, []string{"other.example"})
	if err != nil || again != fp {
		t.Fatalf("the second call made a new certificate (%q, %v), want the first one reused", again, err)
	}
	if err := os.WriteFile(key, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := SelfSigned(dir, nil); err == nil || !strings.Contains(err.Error(), "remove both files") {
		t.Fatalf("a damaged key: %v", err)
	}
}

func TestCertHostsOfAWildcardHoldTheHostNameAndLoopback(t *testing.T) {
	name, _ := os.Hostname()
	for _, listen := range []string{"", "0.0.0.0", "::"} {
		h := CertHosts(listen)
		if !slices.Contains(h, "127.0.0.1") || !slices.Contains(h, "localhost") || (name != "" && !slices.Contains(h, strings.ToLower(name))) {
			t.Errorf("CertHosts(%q) = %v", listen, h)
		}
	}
	if h := CertHosts("dev.example"); !slices.Equal(h, []string{"localhost", "127.0.0.1", "::1", "dev.example"}) {
		t.Errorf("CertHosts(dev.example) = %v", h)
	}
}

package httpguard

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePair writes cert as PEM files and returns their names.
func writePair(t *testing.T, cert *tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	der, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func serveHello(t *testing.T, cert *tls.Certificate) (url string) {
	t.Helper()
	ln, scheme, err := Listen("127.0.0.1:0", 2, cert)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }), nil)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return scheme + "://" + ln.Addr().String()
}

func TestListenServesTLSWithTheLoadedCertificate(t *testing.T) {
	certFile, keyFile := writePair(t, certFor(t, nil, []net.IP{net.ParseIP("127.0.0.1")}))
	cert, err := LoadCert(certFile, keyFile)
	if err != nil || cert == nil {
		t.Fatalf("LoadCert: %v %v", cert, err)
	}
	url := serveHello(t, cert)
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("url %q", url)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello" || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("body %q tls %+v", b, resp.TLS)
	}
	// Plain http to the TLS port gets no answer of the handler.
	if resp, err := http.Get("http" + strings.TrimPrefix(url, "https")); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) == "hello" {
			t.Fatal("the TLS listener answered plain http")
		}
	}
	// TLS 1.1 is refused.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get(url); err == nil {
		t.Fatal("TLS 1.1 was accepted")
	}
}

func TestListenWithoutACertificateServesPlainHTTP(t *testing.T) {
	url := serveHello(t, nil)
	resp, err := http.Get(url)
	if err != nil || !strings.HasPrefix(url, "http://") {
		t.Fatalf("%s: %v", url, err)
	}
	resp.Body.Close()
	if _, _, err := Listen("256.0.0.1:0", 0, nil); err == nil || !strings.Contains(err.Error(), "failed to listen on") {
		t.Fatalf("a bad address: %v", err)
	}
}

func TestLoadCertNeedsBothFilesOrNeither(t *testing.T) {
	if c, err := LoadCert("", ""); c != nil || err != nil {
		t.Fatalf("no files: %v %v", c, err)
	}
	if _, err := LoadCert("cert.pem", ""); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Fatalf("cert only: %v", err)
	}
	if _, err := LoadCert(filepath.Join(t.TempDir(), "none.pem"), "none.key"); err == nil || !strings.Contains(err.Error(), "failed to load the TLS certificate") {
		t.Fatalf("missing files: %v", err)
	}
}

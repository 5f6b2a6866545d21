package fleet

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/konsole"
)

// testKonsole is a real Konsole on loopback.
type testKonsole struct {
	*konsole.Server
	token, fingerprint, certFile string
}

// startKonsole runs a Konsole with token; tlsDir, when set, holds its
// self-signed certificate (made there on first use). listen "" picks a port.
func startKonsole(t *testing.T, token, tlsDir, listen string) *testKonsole {
	t.Helper()
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	cfg := konsole.Config{Listen: listen, Token: token, DataDir: t.TempDir(), Claude: "/bin/false", SkipAgentCheck: true,
		Version: "7.7.7", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	k := &testKonsole{token: token}
	if tlsDir != "" {
		cert, key, fp, err := pairing.SelfSigned(tlsDir, pairing.CertHosts("127.0.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLSCert, cfg.TLSKey, k.fingerprint, k.certFile = cert, key, fp, cert
	}
	s, err := konsole.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		s.Close()
		t.Fatal(err)
	}
	k.Server = s
	t.Cleanup(func() { s.Close() })
	return k
}

func (k *testKonsole) pairing() string {
	return pairing.Pairing{URL: k.URL(), Token: k.token, Fingerprint: k.fingerprint}.String()
}

func openFleet(t *testing.T, path string, o Options) *Fleet {
	t.Helper()
	fl, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// wantAPIError checks err is a *bridge.APIError with status and code and
// a message holding each of words.
func wantAPIError(t *testing.T, err error, status int, code string, words ...string) *bridge.APIError {
	t.Helper()
	var e *bridge.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a *bridge.APIError %d %s", err, err, status, code)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("error %d %s %q, want %d %s", e.Status, e.Code, e.Message, status, code)
	}
	for _, w := range words {
		if !strings.Contains(e.Message, w) {
			t.Fatalf("error %q lacks %q", e.Message, w)
		}
	}
	return e
}

// sessions asks a spec's Konsole for its sessions as the bridge would.
func sessions(t *testing.T, s bridge.KonsoleSpec) int {
	t.Helper()
	c := s.HTTPClient
	if c == nil {
		c = &http.Client{}
	}
	req, _ := http.NewRequest("GET", s.URL+"/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s/v1/sessions: %v", s.URL, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func storePath(t *testing.T) string { return filepath.Join(t.TempDir(), "konui", FileName) }

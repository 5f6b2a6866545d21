package fleet

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/pairing"
)

func call(t *testing.T, srv *httptest.Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer dash")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// A real bridge with the fleet behind POST/PATCH/DELETE /api/konsoles,
// following a local Konsole and a paired one with a pinned certificate.
func TestABridgeAddsAPairedKonsoleThroughTheFleet(t *testing.T) {
	local := startKonsole(t, "local-tok", "", "")
	remote := startKonsole(t, "remote-tok", t.TempDir(), "")
	other := startKonsole(t, "remote-tok", t.TempDir(), "")
	path := storePath(t)
	fl := openFleet(t, path, Options{})
	b, err := bridge.New(bridge.Config{KonsoleURL: local.URL(), KonsoleToken: "local-tok", Token: "dash", Fleet: fl,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	b.Start()
	defer b.Close()
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()

	code, body := call(t, srv, "POST", "/api/konsoles", map[string]any{"name": "Remote", "pairing": remote.pairing()})
	if code != 201 {
		t.Fatalf("POST /api/konsoles: %d %v", code, body)
	}
	k := body["konsole"].(map[string]any)
	if k["id"] != "remote" || k["kind"] != "pairing" || k["state"] != "connected" {
		t.Fatalf("added %v", k)
	}
	wrongCert := pairing.Pairing{URL: remote.URL(), Token: "remote-tok", Fingerprint: other.fingerprint}.String()
	code, body = call(t, srv, "POST", "/api/konsoles", map[string]any{"pairing": wrongCert})
	if code != 409 || body["code"] != CodeCertificateMismatch {
		t.Fatalf("a mismatched certificate: %d %v", code, body)
	}
	code, body = call(t, srv, "POST", "/api/konsoles", map[string]any{"url": local.URL(), "token": "nope"})
	if code != 401 || body["code"] != CodeUnauthorized {
		t.Fatalf("a wrong token: %d %v", code, body)
	}
	code, body = call(t, srv, "PATCH", "/api/konsoles/remote", map[string]any{"name": "Build box"})
	if code != 200 {
		t.Fatalf("PATCH: %d %v", code, body)
	}
	if rs := openFleet(t, path, Options{}).Remotes(); len(rs) != 1 || rs[0].Name != "Build box" {
		t.Fatalf("after PATCH the store holds %+v", rs)
	}
	if code, body = call(t, srv, "DELETE", "/api/konsoles/remote", nil); code != 204 {
		t.Fatalf("DELETE: %d %v", code, body)
	}
	if rs := openFleet(t, path, Options{}).Remotes(); len(rs) != 0 {
		t.Fatalf("after DELETE the store holds %+v", rs)
	}
}

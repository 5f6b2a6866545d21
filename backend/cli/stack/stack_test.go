package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/fleet"
	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/testkit/konsoletest"
)

// get asks the bridge at base for path with its token.
func get(t *testing.T, base, token, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// testFleet is an empty stored list in a temporary folder.
func testFleet(t *testing.T) *fleet.Fleet {
	t.Helper()
	fl, err := OpenFleet(filepath.Join(t.TempDir(), fleet.FileName), nil)
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

func urlTarget(name string, k *konsoletest.Harness) fleet.Target {
	return fleet.Target{AddKonsole: bridge.AddKonsole{Name: name, URL: k.URL, Token: k.Token}}
}

func TestALocalStackServesItsKonsolesSessionsAndClosesOnce(t *testing.T) {
	st, err := Start(Config{Local: true, Fleet: testFleet(t), DataDir: t.TempDir(), Claude: konsoletest.ClaudePath(t), Token: "dash", Version: "9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Konsole == nil {
		t.Fatal("no local Konsole")
	}
	base, err := st.Serve("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base %q", base)
	}
	code, body := get(t, base, "dash", "/api/sessions")
	if code != http.StatusOK || body["sessions"] == nil {
		t.Fatalf("GET /api/sessions: %d %v", code, body)
	}
	if code, _ := get(t, base, "wrong", "/api/sessions"); code != http.StatusUnauthorized {
		t.Fatalf("a wrong token got %d", code)
	}
	st.Close()
	st.Close()
	select {
	case err, ok := <-st.Failed():
		if ok {
			t.Fatalf("the server stopped on %v, not by Close", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Failed() was not closed after Close")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the bridge still answers after Close")
	}
}

func TestARemoteOnlyStackFollowsTheGivenKonsoleAndRunsNoLocalOne(t *testing.T) {
	k := konsoletest.Start(t, konsoletest.Options{})
	st, err := Start(Config{Remotes: []fleet.Target{urlTarget("dev box", k)}, Fleet: testFleet(t), Token: "dash"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Konsole != nil {
		t.Fatal("a local Konsole was started")
	}
	id := k.CreateSession()
	base, err := st.Serve("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, base, "dash", "/api/sessions")
	if b, _ := json.Marshal(body); !strings.Contains(string(b), id) {
		t.Fatalf("the bridge does not list the remote Konsole's session %s: %s", id, b)
	}
}

// TestAStackFollowsTheLocalTheStoredAndTheFlaggedKonsolesAndAddsMore: one
// bridge on the local Konsole, a stored one and one of --konsole, each
// session listed with its Konsole; "Add Konsole" (POST /api/konsoles)
// connects a fourth and stores it, the flagged one is never stored.
func TestAStackFollowsTheLocalTheStoredAndTheFlaggedKonsolesAndAddsMore(t *testing.T) {
	stored, flagged, added := konsoletest.Start(t, konsoletest.Options{}), konsoletest.Start(t, konsoletest.Options{}), konsoletest.Start(t, konsoletest.Options{})
	fl := testFleet(t)
	if _, err := fl.Add(context.Background(), bridge.AddKonsole{Name: "stored", URL: stored.URL, Token: stored.Token}); err != nil {
		t.Fatal(err)
	}
	st, err := Start(Config{Local: true, Remotes: []fleet.Target{urlTarget("flagged", flagged)}, Fleet: fl, DataDir: t.TempDir(), Token: "dash"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base, err := st.Serve("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, k := range st.Bridge.Konsoles() {
		ids[k.Name] = k.ID
	}
	if len(ids) != 3 || ids["Local"] != bridge.LocalID || ids["stored"] == "" || ids["flagged"] == "" {
		t.Fatalf("the bridge follows %v", ids)
	}
	want := map[string]string{stored.CreateSession(): ids["stored"], flagged.CreateSession(): ids["flagged"]}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := get(t, base, "dash", "/api/sessions")
		got := map[string]string{}
		list, _ := body["sessions"].([]any)
		for _, s := range list {
			m := s.(map[string]any)
			got[m["id"].(string)], _ = m["konsoleId"].(string)
		}
		ok := true
		for sid, kid := range want {
			ok = ok && got[sid] == kid
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}

	body, _ := json.Marshal(map[string]string{"name": "added", "url": added.URL, "token": added.Token})
	req, _ := http.NewRequest("POST", base+"/api/konsoles", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer dash")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/konsoles: %d", resp.StatusCode)
	}
	again, err := fleet.Open(fl.Path(), fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range again.Remotes() {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "stored,added" {
		t.Fatalf("konsoles.json lists %v, want the stored one and the added one (never the flagged one)", names)
	}
}

func TestAKonsoleThatCannotBeReachedStopsTheStartAndLeaksNothing(t *testing.T) {
	dataDir := t.TempDir()
	_, err := Start(Config{Local: true, Fleet: testFleet(t), DataDir: dataDir, Token: "dash",
		Remotes: []fleet.Target{{AddKonsole: bridge.AddKonsole{URL: "http://127.0.0.1:1", Token: "t"}}}})
	if err == nil || !strings.Contains(err.Error(), "http://127.0.0.1:1") {
		t.Fatalf("err %v", err)
	}
	// The local Konsole started first was closed: its data folder is free.
	k, err := konsole.New(konsole.Config{Listen: "127.0.0.1:0", Token: "t", DataDir: dataDir})
	if err != nil {
		t.Fatalf("the failed start left the local Konsole running: %v", err)
	}
	k.Close()
	if _, err := Start(Config{Fleet: testFleet(t), Token: "dash"}); err == nil {
		t.Fatal("a stack with no Konsole at all started")
	}
}

func TestDescribeNamesEachKonsoleByItsAddressAndAPairingByItsFile(t *testing.T) {
	p := pairing.Pairing{URL: "https://192.0.2.2:18101", Token: "secret-token", Fingerprint: strings.Repeat("ab", 32)}.String()
	got := Describe(Config{Local: true, Remotes: []fleet.Target{
		{AddKonsole: bridge.AddKonsole{URL: "http://127.0.0.1:18103", Token: "t"}},
		{AddKonsole: bridge.AddKonsole{Pairing: p}, From: "the pairing file k1.pairing"},
		{AddKonsole: bridge.AddKonsole{SSH: "ssh://me@devbox"}},
	}})
	want := "a local Konsole, Konsole at http://127.0.0.1:18103, Konsole at https://192.0.2.2:18101 (from the pairing file k1.pairing), Konsole at ssh://me@devbox"
	if got != want {
		t.Fatalf("%q\nwant %q", got, want)
	}
	if strings.Contains(got, "secret-token") {
		t.Fatal("the description holds a token")
	}
}

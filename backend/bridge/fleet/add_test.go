package fleet

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/pairing"
)

func TestAddRefusesWithTheCodeOfEachFaultAndStoresNothing(t *testing.T) {
	k := startKonsole(t, "right", t.TempDir(), "")
	plainTLS := startKonsole(t, "right", t.TempDir(), "")
	fl := openFleet(t, storePath(t), Options{Timeout: 5 * time.Second})
	ctx := context.Background()

	wrongToken := pairing.Pairing{URL: k.URL(), Token: "wrong", Fingerprint: k.fingerprint}.String()
	_, err := fl.Add(ctx, bridge.AddKonsole{Pairing: wrongToken})
	e := wantAPIError(t, err, 401, CodeUnauthorized, "refused the token")
	if strings.Contains(e.Message, "wrong") || strings.Contains(e.Message, "right") {
		t.Fatalf("the error repeats a token: %q", e.Message)
	}

	// The same address with another certificate than the one paired.
	otherFP := pairing.Pairing{URL: k.URL(), Token: "right", Fingerprint: plainTLS.fingerprint}.String()
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{Pairing: otherFP})), 409, CodeCertificateMismatch, "is not the one paired", "pair again")

	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{Pairing: "konui://pair?v=1&url=x"})), 400, CodePairingInvalid, "https")
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{Pairing: "hello"})), 400, CodePairingInvalid, "not a pairing string")
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{URL: k.URL()})), 400, bridge.CodeBadRequest, "token is required")
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{URL: "ftp://x", Token: "t"})), 400, bridge.CodeBadRequest, "https://host:7421")
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{})), 400, bridge.CodeBadRequest, "exactly one")
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{URL: "http://" + closedPort(t), Token: "t"})), 502, bridge.CodeKonsoleUnreachable, "failed to reach")
	// A self-signed https URL without its pin or CA: say how to pair.
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{URL: k.URL(), Token: "right"})), 502, bridge.CodeKonsoleUnreachable, "pairing string")
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{SSH: "ssh://me@box"})), 400, bridge.CodeBadRequest, "cannot reach Konsoles over SSH")
	// A web page, not a Konsole (another port of the machine, say).
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<!doctype html><title>not a Konsole</title>"))
	}))
	defer page.Close()
	e = wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{URL: page.URL, Token: "t"})), 502, bridge.CodeKonsoleUnreachable, "is not a Konsole", "check the address and port")
	if strings.Contains(e.Message, "invalid character") {
		t.Fatalf("the sentence quotes the JSON decoder: %q", e.Message)
	}

	// Plain http to a Konsole's https port: say to write https.
	plainURL := "http://" + strings.TrimPrefix(k.URL(), "https://")
	e = wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{URL: plainURL, Token: "right"})), 502, bridge.CodeKonsoleUnreachable,
		"answers over https, not http: write "+k.URL(), "pairing string")
	if strings.Contains(e.Message, "not look like a Konsole") {
		t.Fatalf("a Konsole on https is said not to be one: %q", e.Message)
	}
	// A Konsole refusing the Host name it was reached by: its own sentence.
	picky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMisdirectedRequest)
		w.Write([]byte(`{"error":"this Konsole does not answer to the host name \"vm\": reach it by an address it listens on","code":"bad_host"}`))
	}))
	defer picky.Close()
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{URL: picky.URL, Token: "t"})), 502, bridge.CodeKonsoleUnreachable,
		"refused /healthz (status 421, bad_host): this Konsole does not answer to the host name \"vm\"")
	// Anything else that is no Konsole.
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{URL: missing.URL, Token: "t"})), 502, bridge.CodeKonsoleUnreachable,
		"answered /healthz with status 404: it does not look like a Konsole (check the address and port)")

	if n := len(fl.Remotes()); n != 0 {
		t.Fatalf("%d remotes stored after failures", n)
	}
}

func errOf(_ bridge.KonsoleSpec, err error) error { return err }

func TestAnHTTPSURLWithAPrivateCAConnects(t *testing.T) {
	k := startKonsole(t, "ca-token", t.TempDir(), "")
	ca, err := ReadCA(k.certFile) // a self-signed certificate is its own CA
	if err != nil {
		t.Fatal(err)
	}
	fl := openFleet(t, storePath(t), Options{})
	spec, err := fl.Connect(context.Background(), Target{AddKonsole: bridge.AddKonsole{URL: k.URL(), Token: "ca-token"}, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	if code := sessions(t, spec); code != 200 {
		t.Fatalf("with the CA: %d", code)
	}
	if len(fl.Remotes()) != 0 {
		t.Fatal("Connect stored the Konsole")
	}
	// An id of this run is not given to a stored one, and removing it is
	// for this run only.
	plain := startKonsole(t, "p", "", "")
	stored, err := fl.Add(context.Background(), bridge.AddKonsole{URL: plain.URL(), Token: "p"})
	if err != nil || stored.ID == spec.ID {
		t.Fatalf("stored %q, connected %q, %v", stored.ID, spec.ID, err)
	}
	if err := fl.Remove(spec.ID); err != nil {
		t.Fatal(err)
	}
	if len(fl.Remotes()) != 1 {
		t.Fatal("removing a Konsole of this run removed a stored one")
	}
	if _, err := ReadCA(os.DevNull); err == nil {
		t.Fatal("an empty CA file was accepted")
	}
}

// The tunnel is the seam the stack fills with backend/bridge/sshtunnel; here it
// hands over a real Konsole's loopback address, as a tunnel's forward would.
func TestSSHGoesThroughTheTunnelAndItsFailureIsSSHFailed(t *testing.T) {
	k := startKonsole(t, "over-ssh", "", "")
	var opened, closed atomic.Int32
	var fail atomic.Bool
	o := Options{Tunnel: func(sshURL string) (func(context.Context) (string, string, error), func(), error) {
		if !strings.HasPrefix(sshURL, "ssh://") {
			t.Errorf("tunnel for %q", sshURL)
		}
		opened.Add(1)
		resolve := func(context.Context) (string, string, error) {
			if fail.Load() {
				return "", "", errors.New("ssh: konui: command not found on box (install konui there)")
			}
			return k.URL(), "over-ssh", nil
		}
		return resolve, func() { closed.Add(1) }, nil
	}}
	path := storePath(t)
	fl := openFleet(t, path, o)
	spec, err := fl.Add(context.Background(), bridge.AddKonsole{SSH: "ssh://me@box:2222"})
	if err != nil {
		t.Fatal(err)
	}
	if spec.ID != "me-box-2222" || spec.Name != "me@box:2222" || spec.Kind != KindSSH || spec.Resolve == nil || spec.Close == nil || spec.Token != "" {
		t.Fatalf("ssh spec %+v", spec)
	}
	if u, tok, err := spec.Resolve(context.Background()); err != nil || u != k.URL() || tok != "over-ssh" {
		t.Fatalf("Resolve: %q %q %v", u, tok, err)
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "over-ssh") || !strings.Contains(string(b), `"ssh": "ssh://me@box:2222"`) {
		t.Fatalf("the store of an SSH Konsole:\n%s", b)
	}
	fail.Store(true)
	_, err = fl.Add(context.Background(), bridge.AddKonsole{SSH: "ssh://me@other"})
	wantAPIError(t, err, 502, CodeSSHFailed, "command not found")
	if closed.Load() != 1 {
		t.Fatalf("the failed tunnel was closed %d times, want 1", closed.Load())
	}
	wantAPIError(t, errOf(fl.Add(context.Background(), bridge.AddKonsole{SSH: "ssh://"})), 400, bridge.CodeBadRequest, "not an SSH address")
	re := openFleet(t, path, o)
	if specs := re.Specs(); len(specs) != 1 || specs[0].Resolve == nil || opened.Load() != 3 {
		t.Fatalf("reopened ssh specs %+v, %d tunnels", specs, opened.Load())
	}
}

func TestParseTargetTellsTheThreeKindsApart(t *testing.T) {
	p := pairing.Pairing{URL: "https://h:1", Token: "t", Fingerprint: strings.Repeat("b", 64)}.String()
	for in, want := range map[string]bridge.AddKonsole{
		" " + p + " ":               {Pairing: p},
		"ssh://me@box":              {SSH: "ssh://me@box"},
		"https://dev.example:7421/": {URL: "https://dev.example:7421/"},
		"http://127.0.0.1:7421":     {URL: "http://127.0.0.1:7421"},
	} {
		got, err := ParseTarget(in)
		if err != nil || got.AddKonsole != want {
			t.Errorf("ParseTarget(%q) = %+v, %v", in, got, err)
		}
	}
	for in, want := range map[string]string{
		"dev.example:7421":     "is not a Konsole",
		"konui://pair?v=9":     "version",
		"ssh://me@box:99999":   "not a port",
		"https://u:p@h:1":      "must look like https://host:7421 (without user:password@: the Konsole's token is given on its own)",
		"https://h:1/?t=x":     "must look like https://host:7421 (without a ?query or #fragment)",
		"https:///x":           "must look like https://host:7421 (it names no host)",
		"":                     "is not a Konsole",
		"ssh://box/some/where": "not an SSH address",
	} {
		if _, err := ParseTarget(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTarget(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestImportProfilesTakesTheRemotesOnce(t *testing.T) {
	path := storePath(t)
	fl := openFleet(t, path, Options{})
	ps := []Profile{
		{ID: "local", Name: "Local"},
		{ID: "3f9a0c1b2d4e", Name: "Dev box", URL: "https://dev.example:7421/", Token: "t1"},
		{ID: "BAD ID", Name: "", URL: "http://10.0.0.5:7421", Token: "t2"},
		{ID: "nourl", Name: "Broken", URL: "not a url", Token: "t3"},
		{ID: "notoken", Name: "No token", URL: "https://x.example"},
	}
	n, err := fl.ImportProfiles(ps)
	if err != nil || n != 2 {
		t.Fatalf("imported %d, %v", n, err)
	}
	rs := fl.Remotes()
	if rs[0].ID != "3f9a0c1b2d4e" || rs[0].URL != "https://dev.example:7421" || rs[0].Token != "t1" || !rs[0].Enabled || rs[0].Kind() != KindURL {
		t.Fatalf("first %+v", rs[0])
	}
	if rs[1].ID != "10-0-0-5" || rs[1].Name != "10.0.0.5" {
		t.Fatalf("second %+v", rs[1])
	}
	if n, err := fl.ImportProfiles(ps); err != nil || n != 0 {
		t.Fatalf("a second import took %d, %v", n, err)
	}
	if got := openFleet(t, path, Options{}).Remotes(); len(got) != 2 {
		t.Fatalf("after reopen %d remotes", len(got))
	}
}

// Followed twice, each of a Konsole's sessions would be listed twice: one
// given to this run (--konsole) is not added again, nor given twice, nor
// given while it is stored.
func TestAKonsoleIsFollowedOnce(t *testing.T) {
	k := startKonsole(t, "tok-a", t.TempDir(), "")
	plain := startKonsole(t, "tok-b", "", "")
	fl := openFleet(t, storePath(t), Options{Timeout: 5 * time.Second})
	ctx := context.Background()

	run, err := fl.Connect(ctx, Target{AddKonsole: bridge.AddKonsole{Pairing: k.pairing()}})
	if err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{Name: "Again", Pairing: k.pairing()})), 409, "conflict",
		"already followed as", "(id "+run.ID+")", "--konsole")
	wantAPIError(t, errOf(fl.Connect(ctx, Target{AddKonsole: bridge.AddKonsole{Pairing: k.pairing()}})), 409, "conflict", "already followed")

	stored, err := fl.Add(ctx, bridge.AddKonsole{Name: "Plain", URL: plain.URL(), Token: "tok-b"})
	if err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, errOf(fl.Connect(ctx, Target{AddKonsole: bridge.AddKonsole{URL: plain.URL() + "/", Token: "tok-b"}})), 409, "conflict",
		`in the stored list as "Plain" (id `+stored.ID+")", "drop the flag")
	// The same port by another loopback name is the same Konsole.
	other := "http://LOCALHOST:" + strings.TrimPrefix(plain.URL(), "http://127.0.0.1:")
	wantAPIError(t, errOf(fl.Add(ctx, bridge.AddKonsole{URL: other, Token: "tok-b"})), 409, "conflict", `already in the list as "Plain"`)
	if n := len(fl.Remotes()); n != 1 {
		t.Fatalf("%d stored, want 1", n)
	}
	// Once this run's one is removed, it can be stored.
	if err := fl.Remove(run.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fl.Add(ctx, bridge.AddKonsole{Pairing: k.pairing()}); err != nil {
		t.Fatalf("after removing this run's one: %v", err)
	}
}

// TestALongNameIsCutToTheLimitAndSaysSo: a given name keeps at most the
// 100 characters a name may have (PATCH refuses more), whole ones, and a
// cut one ends in an ellipsis.
func TestALongNameIsCutToTheLimitAndSaysSo(t *testing.T) {
	if got := nameOr("  ", "devbox"); got != "devbox" {
		t.Errorf("an empty name = %q, want the default", got)
	}
	exact := strings.Repeat("é", 100)
	if got := nameOr(" "+exact+" ", "devbox"); got != exact {
		t.Errorf("a 100-character name was changed to %q", got)
	}
	if got := nameOr(exact+"x", "devbox"); got != strings.Repeat("é", 99)+"…" {
		t.Errorf("a 101-character name = %q", got)
	}
}

func TestListenerOfWritesOneAddressOneWay(t *testing.T) {
	same := [][]string{
		{"http://127.0.0.1:7421", "http://localhost:7421", "https://[::1]:7421", "http://127.0.1.1:7421", "http://LocalHost:7421/"},
		{"https://Dev.Example:7421", "https://dev.example:7421"},
		{"https://[fd00:0::1]:7421", "https://[fd00::1]:7421"},
		{"https://box", "https://box:443"},
	}
	for _, group := range same {
		for _, u := range group[1:] {
			if listenerOf(u) != listenerOf(group[0]) {
				t.Errorf("%s reads as %s, %s as %s: want one", u, listenerOf(u), group[0], listenerOf(group[0]))
			}
		}
	}
	for _, pair := range [][2]string{{"http://127.0.0.1:7421", "http://127.0.0.1:7422"}, {"https://a:7421", "https://b:7421"}, {"http://box", "https://box"}} {
		if listenerOf(pair[0]) == listenerOf(pair[1]) {
			t.Errorf("%s and %s read as one", pair[0], pair[1])
		}
	}
}

package fleet

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/konsole"
)

func TestAddUpdateRemovePersistAcrossReopenInAPrivateFile(t *testing.T) {
	k := startKonsole(t, "tok-a", t.TempDir(), "")
	plain := startKonsole(t, "tok-b", "", "")
	path := storePath(t)
	fl := openFleet(t, path, Options{})
	ctx := context.Background()

	paired, err := fl.Add(ctx, bridge.AddKonsole{Name: "Dev box", Pairing: k.pairing()})
	if err != nil {
		t.Fatal(err)
	}
	if paired.ID != "dev-box" || paired.Name != "Dev box" || paired.Kind != KindPairing || paired.URL != k.URL() || paired.Token != "tok-a" {
		t.Fatalf("paired spec %+v", paired)
	}
	if code := sessions(t, paired); code != 200 {
		t.Fatalf("the paired spec's client: %d", code)
	}
	byURL, err := fl.Add(ctx, bridge.AddKonsole{URL: plain.URL() + "/", Token: "tok-b"})
	if err != nil {
		t.Fatal(err)
	}
	// Named after its host and port (not Konsole's own port 7421).
	if !strings.HasSuffix(konsole.DefaultListen, ":"+defaultPort) {
		t.Fatalf("defaultPort %s is not the port of konsole.DefaultListen %s", defaultPort, konsole.DefaultListen)
	}
	port := plain.URL()[strings.LastIndexByte(plain.URL(), ':')+1:]
	urlID := "127-0-0-1-" + port
	if byURL.ID != urlID || byURL.Name != "127.0.0.1:"+port || byURL.Kind != KindURL || byURL.URL != plain.URL() {
		t.Fatalf("url spec %+v", byURL)
	}
	_, err = fl.Add(ctx, bridge.AddKonsole{Name: "Again", Pairing: k.pairing()})
	wantAPIError(t, err, 409, "conflict", `already in the list as "Dev box" (id dev-box)`, "remove it first")
	k2 := startKonsole(t, "tok-c", t.TempDir(), "")
	again, err := fl.Add(ctx, bridge.AddKonsole{Name: "Dev box", Pairing: k2.pairing()})
	if err != nil || again.ID != "dev-box-2" {
		t.Fatalf("a second Dev box: %+v %v", again, err)
	}
	if m := fileMode(t, path); m != 0o600 {
		t.Fatalf("konsoles.json mode %v, want 0600", m)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"fingerprint": "`+k.fingerprint+`"`) {
		t.Fatalf("the store lacks the fingerprint:\n%s", b)
	}

	name, off := "Workstation", false
	if err := fl.Update(urlID, &name, &off); err != nil {
		t.Fatal(err)
	}
	if err := fl.Remove("dev-box-2"); err != nil {
		t.Fatal(err)
	}
	local := "This laptop"
	if err := fl.Update(bridge.LocalID, &local, nil); err != nil {
		t.Fatal(err)
	}

	re := openFleet(t, path, Options{})
	rs := re.Remotes()
	if len(rs) != 2 || rs[0].ID != "dev-box" || !rs[0].Enabled || rs[1].ID != urlID || rs[1].Name != "Workstation" || rs[1].Enabled {
		t.Fatalf("after reopen: %+v", rs)
	}
	if re.LocalName() != "This laptop" {
		t.Fatalf("local name %q", re.LocalName())
	}
	specs := re.Specs()
	if len(specs) != 2 || specs[0].Disabled || !specs[1].Disabled || specs[0].Kind != KindPairing {
		t.Fatalf("specs %+v", specs)
	}
	if code := sessions(t, specs[0]); code != 200 {
		t.Fatalf("a reopened paired spec: %d", code)
	}
	if m := fileMode(t, path); m != 0o600 {
		t.Fatalf("konsoles.json mode %v after changes", m)
	}
	entries, _ := os.ReadDir(strings.TrimSuffix(path, FileName))
	if len(entries) != 1 {
		t.Fatalf("the folder holds %d files, want konsoles.json alone (no temporary files)", len(entries))
	}
}

func TestUnknownIdsAndTheLocalKonsoleAreRefused(t *testing.T) {
	fl := openFleet(t, storePath(t), Options{})
	name := "x"
	wantAPIError(t, fl.Update("nope", &name, nil), 404, "not_found")
	wantAPIError(t, fl.Remove("nope"), 404, "not_found")
	wantAPIError(t, fl.Remove(bridge.LocalID), 409, "conflict", "cannot be removed")
}

func TestAStoreThatCannotBeReadIsAnErrorNotAnEmptyList(t *testing.T) {
	path := storePath(t)
	if err := os.MkdirAll(strings.TrimSuffix(path, FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "fix or remove") {
		t.Fatalf("Open of a broken store: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"version":2,"konsoles":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "update konui") {
		t.Fatalf("Open of a newer store: %v", err)
	}
}

func TestAFailedWriteChangesNothing(t *testing.T) {
	// A file where the folder should be: even root cannot write there.
	blocker := t.TempDir() + "/konui"
	plain := startKonsole(t, "tok", "", "")
	fl := openFleet(t, blocker+"/"+FileName, Options{})
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := fl.Add(context.Background(), bridge.AddKonsole{URL: plain.URL(), Token: "tok"})
	wantAPIError(t, err, 500, bridge.CodeInternal, "failed to save the Konsole list")
	if n := len(fl.Remotes()); n != 0 {
		t.Fatalf("%d remotes after a failed save", n)
	}
}

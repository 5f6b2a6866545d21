package app

import (
	"os"
	"path/filepath"
	"testing"
)

// The settings file holds no token, but says how the user works: it and
// the folders made for it are private, and stay so when it is saved again.
func TestTheSettingsFileAndItsFoldersArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "konui", "settings.json")
	st, err := OpenSettings(path)
	if err != nil {
		t.Fatal(err)
	}
	mode := func(p string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	for _, hide := range []bool{true, false} {
		if err := st.Update(func(s *Settings) error { s.HideToTray = hide; return nil }); err != nil {
			t.Fatal(err)
		}
		mode(path, 0o600)
		mode(filepath.Dir(path), 0o700)
		mode(filepath.Dir(filepath.Dir(path)), 0o700)
	}
	again, err := OpenSettings(path)
	if err != nil || again.Get().HideToTray {
		t.Fatalf("the saved settings read back as %+v, %v", again.Get(), err)
	}
}

package paths_test

import (
	"path/filepath"
	"testing"

	"github.com/konui/konui/backend/shared/paths"
)

func TestConfigFileIsTheNameInKonuisConfigFolder(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home) // macOS reads $HOME/Library/Application Support
	dir, err := paths.ConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != "konui" {
		t.Fatalf("ConfigDir() = %s, want a folder named konui", dir)
	}
	got, err := paths.ConfigFile("serve-token")
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(dir, "serve-token") {
		t.Fatalf("ConfigFile(serve-token) = %s, want it in %s", got, dir)
	}
}

package app

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wailsapp/wails/v2/pkg/options"
)

// The names konui looks for on Windows are the ones the pinned Wails
// makes: this reads Wails' own single_instance.go from the module cache,
// so a Wails update that renames them fails here, not on a user's machine.
func TestTheWindowsSingleInstanceNamesAreWails(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/wailsapp/wails/v2").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "frontend", "desktop", "windows", "single_instance.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`id := "wails-app-" + uniqueId`, `className := id + "-sic"`, `windowName := id + "-siw"`,
		`mutexName := id + "sim"`, `WMCOPYDATA_SINGLE_INSTANCE_DATA = 1542`, `json.Unmarshal([]byte(serialized), &secondInstanceData)`} {
		if !strings.Contains(string(src), s) {
			t.Errorf("Wails' single_instance.go no longer has %q", s)
		}
	}
	mutex, class, window := windowsInstance(UniqueID)
	if mutex != "wails-app-dev.konui.desktopsim" || class != "wails-app-dev.konui.desktop-sic" || window != "wails-app-dev.konui.desktop-siw" {
		t.Fatalf("names %q %q %q", mutex, class, window)
	}
	if wmCopyDataSecondInstance != 1542 {
		t.Fatal("dwData")
	}
}

func TestASecondLaunchsMessageIsWailsSecondInstanceData(t *testing.T) {
	var got options.SecondInstanceData
	if err := json.Unmarshal([]byte(secondInstanceMessage([]string{"--konsole", `C:\a "b"`}, `C:\Users\x`)), &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Args, []string{"--konsole", `C:\a "b"`}) || got.WorkingDirectory != `C:\Users\x` {
		t.Fatalf("%+v", got)
	}
}

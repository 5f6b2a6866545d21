package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestTheVersionFileIsTheOneVersion(t *testing.T) {
	root := filepath.Join("..", "..")
	v, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(v))
	if ok, _ := regexp.MatchString(`^0\.\d+\.\d+$`, version); !ok {
		t.Fatalf("VERSION %q is not 0.y.z", version)
	}
	var wails struct {
		Info struct {
			ProductVersion string `json:"productVersion"`
		} `json:"info"`
	}
	b, _ := os.ReadFile(filepath.Join(root, "wails.json"))
	if err := json.Unmarshal(b, &wails); err != nil || wails.Info.ProductVersion != version {
		t.Fatalf("wails.json productVersion %q, VERSION %q (%v): run \"make version\"", wails.Info.ProductVersion, version, err)
	}
	var pkg struct{ Version string }
	b, _ = os.ReadFile(filepath.Join(root, "frontend", "package.json"))
	if json.Unmarshal(b, &pkg); pkg.Version != version {
		t.Fatalf("frontend/package.json version %q, VERSION %q: run \"make version\"", pkg.Version, version)
	}
	changes, _ := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if ok, _ := regexp.MatchString(`(?m)^## `+regexp.QuoteMeta(version)+` - \d{4}-\d{2}-\d{2}$`, string(changes)); !ok {
		t.Fatalf("CHANGELOG.md has no \"## %s - YYYY-MM-DD\" section", version)
	}
}

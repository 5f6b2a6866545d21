package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/konui/konui/internal/contract"
)

// The contracts between this package, the page and the rest of the tree
// that no compiler checks: event names, the generated bindings, imports.

const root = ".."

func TestEventNamesAreTheSameInGoAndTypeScript(t *testing.T) {
	consts, err := contract.GoStrings("events.go", "Event")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := contract.TSObject(filepath.Join(root, "frontend", "src", "lib", "platform.ts"), "desktopEvents")
	if err != nil {
		t.Fatal(err)
	}
	inGo, inTS := slices.Sorted(maps.Values(consts)), slices.Sorted(maps.Values(ts))
	if len(inGo) == 0 || !slices.Equal(inGo, inTS) {
		t.Fatalf("app/events.go names %q, desktopEvents in platform.ts %q: keep them the same", inGo, inTS)
	}
	// Every Emit in the app names one of the constants, never a literal.
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Emit" || len(call.Args) == 0 {
				return true
			}
			if id, ok := call.Args[0].(*ast.Ident); ok {
				if _, known := consts[id.Name]; known {
					return true
				}
			}
			if sel.X.(*ast.Ident).Name == "runtime" {
				return true // the one forwarding call in wails.go
			}
			t.Errorf("%s: Emit is not given one of the Event constants of events.go", fset.Position(call.Pos()))
			return true
		})
	}
}

// TestGeneratedBindingsAreCurrent builds the binding generator (what
// `make bindings` and `wails generate module` run) into a scratch folder
// and compares its output with frontend/wailsjs.
func TestGeneratedBindingsAreCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds konui")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "wailsbindings")
	build := exec.Command("go", "build", "-tags", "bindings", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags bindings: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "wails.json"), []byte(`{"name":"Konui","wailsjsdir":"."}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := exec.Command(bin)
	run.Dir = dir
	run.Env = append(os.Environ(), "tsprefix=", "tssuffix=", "tsoutputtype=classes")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("the binding generator: %v\n%s", err, out)
	}
	want := readTree(t, filepath.Join(dir, "wailsjs"))
	got := readTree(t, filepath.Join(root, "frontend", "wailsjs"))
	for name, content := range want {
		if got[name] != content {
			t.Errorf("frontend/wailsjs/%s is stale: run \"make bindings\" and commit it", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("frontend/wailsjs/%s is no longer generated: run \"make bindings\" and commit the removal", name)
		}
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTheAppAndTheCLIDoNotImportEachOther keeps the wiring where issue 14
// put it: both start their Konui in backend/cli/stack, and only the build's
// main files know both; no backend package, nor its tests, knows the app.
func TestTheAppAndTheCLIDoNotImportEachOther(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const mod = "github.com/konui/konui/"
	for _, c := range []struct{ pkg, tags, forbidden string }{
		{"app", "", "backend/cli"},
		{"app", "desktop,production,webkit2_41", "backend/cli"},
		{"backend/cli", "", "app"},
		{"backend/cli", "desktop,production,webkit2_41", "app"},
		{"backend/cli/stack", "", "backend/cli"},
		{"backend/cli/stack", "", "app"},
	} {
		cmd := exec.Command("go", "list", "-deps", "-tags", c.tags, "./"+c.pkg)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", c.pkg, err)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, mod+c.pkg) {
			t.Fatalf("go list -deps %s does not list the package itself: %q", c.pkg, deps)
		}
		if slices.Contains(deps, mod+c.forbidden) {
			t.Errorf("%s imports %s (tags %q)", c.pkg, c.forbidden, c.tags)
		}
	}
	// Nothing under backend/, its tests included, reaches the desktop app.
	cmd := exec.Command("go", "list", "-deps", "-test", "./backend/...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -test ./backend/...: %v", err)
	}
	if deps := strings.Fields(string(out)); !slices.Contains(deps, mod+"backend/bridge") {
		t.Fatalf("go list -deps -test ./backend/... does not list backend/bridge: %q", deps)
	} else if slices.Contains(deps, mod+"app") {
		t.Errorf("a package under backend/ or its tests imports app")
	}
}

package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestTheHouseKeepsItsSides holds the layout docs/architecture.md draws:
// backend/ has at most six entries; Konsole (backend/konsole) knows neither
// the bridge nor the command line; the bridge knows neither Konsole nor
// the command line; the shared helpers know no side; and no production package, in any
// build, imports the test kits (backend/testkit). The two sides meet only
// in backend/contract, the wire both speak.
func TestTheHouseKeepsItsSides(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	entries, err := os.ReadDir("backend")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) > 6 {
		t.Errorf("backend/ has %d entries, at most 6: %v", len(names), names)
	}

	const mod = "github.com/konui/konui/"
	forbidden := []struct{ from, to string }{
		{"backend/konsole", "backend/bridge"},
		{"backend/konsole", "backend/cli"},
		{"backend/bridge", "backend/konsole"},
		{"backend/bridge", "backend/cli"},
		{"backend/shared", "backend/konsole"},
		{"backend/shared", "backend/bridge"},
		{"backend/shared", "backend/cli"},
	}
	under := func(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }
	for _, tags := range []string{"", "desktop,production,webkit2_41"} {
		// Imports lists a package's own (non-test) imports.
		out, err := exec.Command("go", "list", "-tags", tags, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
		if err != nil {
			t.Fatalf("go list ./... (tags %q): %v", tags, err)
		}
		seen := 0
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			pkg := strings.TrimPrefix(fields[0], mod)
			seen++
			for _, imp := range fields[1:] {
				if !strings.HasPrefix(imp, mod) {
					continue
				}
				imp = strings.TrimPrefix(imp, mod)
				if under(imp, "backend/testkit") && !under(pkg, "backend/testkit") {
					t.Errorf("%s imports the test kit %s (tags %q)", pkg, imp, tags)
				}
				for _, f := range forbidden {
					if under(pkg, f.from) && under(imp, f.to) {
						t.Errorf("%s imports %s: %s must not know %s (tags %q)", pkg, imp, f.from, f.to, tags)
					}
				}
			}
		}
		if seen < 20 {
			t.Fatalf("go list ./... listed %d packages (tags %q); the check read nothing", seen, tags)
		}
		// The binary's whole dependency set, not only direct imports.
		deps, err := exec.Command("go", "list", "-deps", "-tags", tags, ".").Output()
		if err != nil {
			t.Fatalf("go list -deps . (tags %q): %v", tags, err)
		}
		if !slices.Contains(strings.Fields(string(deps)), mod+"backend/konsole") {
			t.Fatalf("go list -deps . (tags %q) does not list backend/konsole", tags)
		}
		for _, d := range strings.Fields(string(deps)) {
			if under(strings.TrimPrefix(d, mod), "backend/testkit") {
				t.Errorf("the konui binary (tags %q) links the test kit %s", tags, d)
			}
		}
	}
}

// Command notices writes the third-party notice file of the konui binary:
// the licence texts of every Go module linked into it (from "go list -deps"
// with the build's tags, read from the module cache), of the Go standard
// library, and of every npm package bundled into the dashboard (from the
// dist/third-party-licenses.json that frontend/licenses.ts writes).
//
//	go run ./scripts/notices -tags desktop,production,webkit2_41 -npm frontend/dist/third-party-licenses.json > NOTICES
//
// A module or package without a licence file is an error: nothing is
// shipped without its notice.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

type module struct {
	Path, Version, Dir string
	Main               bool
	Replace            *module
}

type npmPackage struct {
	Name, Version, License string
	Files                  []struct{ Name, Text string }
}

var licenseFile = regexp.MustCompile(`(?i)^(licen[cs]e|copying|notice)($|[._-])`)

func main() {
	tags := flag.String("tags", "", "build tags of the binary")
	npm := flag.String("npm", "", "third-party-licenses.json of the dashboard")
	pkg := flag.String("pkg", ".", "the main package")
	flag.Parse()
	if err := run(os.Stdout, *tags, *npm, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "notices:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, tags, npmFile, pkg string) error {
	mods, err := goModules(tags, pkg)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("Third-party software in konui\n\nThe konui binary contains the following software, each under its own licence,\nwhose texts follow.\n\n")
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("failed to find GOROOT: %w", err)
	}
	goVersion, _ := exec.Command("go", "env", "GOVERSION").Output()
	if err := section(&b, "The Go standard library and runtime "+strings.TrimSpace(string(goVersion)), strings.TrimSpace(string(goroot))); err != nil {
		return err
	}
	for _, m := range mods {
		dir := m.Dir
		if m.Replace != nil && m.Replace.Dir != "" {
			dir = m.Replace.Dir
		}
		if err := section(&b, "Go module "+m.Path+" "+m.Version, dir); err != nil {
			return err
		}
	}
	if npmFile != "" {
		raw, err := os.ReadFile(npmFile)
		if err != nil {
			return fmt.Errorf("failed to read the npm licences (build the dashboard first): %w", err)
		}
		var pkgs []npmPackage
		if err := json.Unmarshal(raw, &pkgs); err != nil {
			return fmt.Errorf("failed to read %s: %w", npmFile, err)
		}
		for _, p := range pkgs {
			if len(p.Files) == 0 {
				return fmt.Errorf("the npm package %s has no licence text", p.Name)
			}
			fmt.Fprintf(&b, "%s\nnpm package %s %s (%s)\n%s\n", strings.Repeat("=", 78), p.Name, p.Version, p.License, strings.Repeat("-", 78))
			for _, f := range p.Files {
				b.WriteString(strings.TrimSpace(f.Text) + "\n\n")
			}
		}
	}
	_, err = w.Write(b.Bytes())
	return err
}

// goModules are the modules of the packages linked into pkg with tags.
func goModules(tags, pkg string) ([]module, error) {
	cmd := exec.Command("go", "list", "-deps", "-tags", tags, "-json=Module,Standard", pkg)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("failed to list the packages of %s: %w", pkg, err)
	}
	seen := map[string]module{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Standard bool
			Module   *module
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("failed to read go list: %w", err)
		}
		if p.Standard || p.Module == nil || p.Module.Main {
			continue
		}
		seen[p.Module.Path] = *p.Module
	}
	mods := make([]module, 0, len(seen))
	for _, m := range seen {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods, nil
}

// section writes the licence files found in dir under a heading.
func section(b *bytes.Buffer, title, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("failed to read %s for %s: %w", dir, title, err)
	}
	var texts []string
	for _, e := range entries {
		if e.Type().IsRegular() && licenseFile.MatchString(e.Name()) {
			t, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return fmt.Errorf("failed to read a licence of %s: %w", title, err)
			}
			texts = append(texts, strings.TrimSpace(string(t)))
		}
	}
	if len(texts) == 0 {
		return fmt.Errorf("%s has no licence file in %s", title, dir)
	}
	fmt.Fprintf(b, "%s\n%s\n%s\n", strings.Repeat("=", 78), title, strings.Repeat("-", 78))
	for _, t := range texts {
		b.WriteString(t + "\n\n")
	}
	return nil
}

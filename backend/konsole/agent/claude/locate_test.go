package claude

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeCLI writes an executable script at path that answers --version like
// the CLI does (or runs body when given).
func fakeCLI(t *testing.T, path, version string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	body := "#!/bin/sh\necho '" + version + " (Claude Code)'\n"
	if strings.HasPrefix(version, "#!") {
		body = version
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// testHome is an empty home folder and an environment whose PATH holds
// only an empty folder of its own.
func testHome(t *testing.T) (home string, env []string, pathDir string) {
	home = t.TempDir()
	pathDir = filepath.Join(home, "path-bin")
	if err := os.MkdirAll(pathDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return home, []string{"PATH=" + pathDir}, pathDir
}

func TestLocateReportsAMissingCLIWithWhatToDo(t *testing.T) {
	home, env, _ := testHome(t)
	got := Locate(LocateOptions{Home: home, Env: env})
	if got.OK() || got.Code != CodeNotFound {
		t.Fatalf("found %+v", got)
	}
	if !strings.Contains(got.Error, InstallCommand) || !strings.Contains(got.Error, "Settings") {
		t.Fatalf("the reason does not say what to do: %q", got.Error)
	}
	if len(got.Searched) < 5 {
		t.Fatalf("searched only %v", got.Searched)
	}
}

func TestLocateFindsTheCLIInEachPlaceInstallsPutIt(t *testing.T) {
	cases := []struct {
		name, source string
		place        func(t *testing.T, home, pathDir string) (path string, env []string)
	}{
		{"PATH", "PATH", func(t *testing.T, home, pathDir string) (string, []string) {
			return filepath.Join(pathDir, "claude"), nil
		}},
		{"the CLI's own local install", "~/.claude/local", func(t *testing.T, home, _ string) (string, []string) {
			return filepath.Join(home, ".claude", "local", "claude"), nil
		}},
		{"npm's global prefix from ~/.npmrc", "npm prefix", func(t *testing.T, home, _ string) (string, []string) {
			if err := os.WriteFile(filepath.Join(home, ".npmrc"), []byte("fund=false\nprefix = ~/npm-prefix\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(home, "npm-prefix", "bin", "claude"), nil
		}},
		{"npm's global prefix from $NPM_CONFIG_PREFIX", "npm prefix", func(t *testing.T, home, _ string) (string, []string) {
			return filepath.Join(home, "opt", "npm", "bin", "claude"), []string{"NPM_CONFIG_PREFIX=" + filepath.Join(home, "opt", "npm")}
		}},
		{"nvm's default Node", "nvm", func(t *testing.T, home, _ string) (string, []string) {
			nvm := filepath.Join(home, ".nvm")
			if err := os.MkdirAll(filepath.Join(nvm, "alias"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(nvm, "alias", "default"), []byte("20\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			// A newer Node without the CLI must not hide the default one.
			if err := os.MkdirAll(filepath.Join(nvm, "versions", "node", "v22.3.0", "bin"), 0o755); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(nvm, "versions", "node", "v20.11.1", "bin", "claude"), nil
		}},
		{"~/.local/bin (the native installer)", "~/.local/bin", func(t *testing.T, home, _ string) (string, []string) {
			return filepath.Join(home, ".local", "bin", "claude"), nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home, env, pathDir := testHome(t)
			path, extra := c.place(t, home, pathDir)
			fakeCLI(t, path, "2.1.328")
			got := Locate(LocateOptions{Home: home, Env: append(env, extra...)})
			if !got.OK() || got.Path != path || got.Version != "2.1.328" || got.Source != c.source {
				t.Fatalf("got %+v, want %s from %s", got, path, c.source)
			}
		})
	}
}

func TestLocateFallsBackToTheRepositorysPinnedCLI(t *testing.T) {
	home, env, _ := testHome(t)
	repo := t.TempDir()
	path := fakeCLI(t, filepath.Join(repo, ".tools", "claude", "node_modules", ".bin", "claude"), "2.1.328")
	got := Locate(LocateOptions{Home: home, Env: env, Repository: repo})
	if !got.OK() || got.Path != path || got.Source != "repository" {
		t.Fatalf("got %+v", got)
	}
	// A CLI the user installed wins over the repository's.
	mine := fakeCLI(t, filepath.Join(home, ".local", "bin", "claude"), "2.1.400")
	if got := Locate(LocateOptions{Home: home, Env: env, Repository: repo}); got.Path != mine {
		t.Fatalf("got %+v, want %s", got, mine)
	}
}

func TestLocateRefusesATooOldCLIButKeepsLooking(t *testing.T) {
	home, env, pathDir := testHome(t)
	old := fakeCLI(t, filepath.Join(pathDir, "claude"), "1.0.44")
	got := Locate(LocateOptions{Home: home, Env: env})
	if got.OK() || got.Code != CodeTooOld || got.Path != old || got.Version != "1.0.44" {
		t.Fatalf("got %+v", got)
	}
	if !strings.Contains(got.Error, "older than "+MinVersion) || !strings.Contains(got.Error, InstallCommand) {
		t.Fatalf("reason %q", got.Error)
	}
	good := fakeCLI(t, filepath.Join(home, ".local", "bin", "claude"), "2.0.0")
	if got := Locate(LocateOptions{Home: home, Env: env}); !got.OK() || got.Path != good {
		t.Fatalf("the newer CLI further down was not used: %+v", got)
	}
}

func TestLocateRefusesACLIThatDoesNotRunOrPrintsNoVersion(t *testing.T) {
	home, env, pathDir := testHome(t)
	fakeCLI(t, filepath.Join(pathDir, "claude"), "#!/bin/sh\necho 'SyntaxError: Unexpected token' >&2\nexit 1\n")
	got := Locate(LocateOptions{Home: home, Env: env})
	if got.Code != CodeNotRunnable || !strings.Contains(got.Error, "Unexpected token") {
		t.Fatalf("got %+v", got)
	}
	fakeCLI(t, filepath.Join(pathDir, "claude"), "#!/bin/sh\necho hello\n")
	if got := Locate(LocateOptions{Home: home, Env: env}); got.Code != CodeNotRunnable || !strings.Contains(got.Error, "no version") {
		t.Fatalf("got %+v", got)
	}
}

func TestAConfiguredCLIIsTheOnlyCandidate(t *testing.T) {
	home, env, pathDir := testHome(t)
	fakeCLI(t, filepath.Join(pathDir, "claude"), "2.1.328")
	mine := fakeCLI(t, filepath.Join(home, "tools", "my-claude"), "2.1.1")
	if got := Locate(LocateOptions{Configured: mine, Home: home, Env: env}); !got.OK() || got.Path != mine || got.Source != "configured" {
		t.Fatalf("got %+v", got)
	}
	if got := Locate(LocateOptions{Configured: "claude", Home: home, Env: env}); !got.OK() || got.Path != filepath.Join(pathDir, "claude") {
		t.Fatalf("a bare name was not looked up on PATH: %+v", got)
	}
	got := Locate(LocateOptions{Configured: filepath.Join(home, "nope"), Home: home, Env: env})
	if got.OK() || got.Code != CodeNotFound || !strings.Contains(got.Error, filepath.Join(home, "nope")) {
		t.Fatalf("a missing configured CLI: %+v", got)
	}
}

func TestVersionsCompareNumerically(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"2.1.328", "2.0.0", 1}, {"1.0.128", "2.0.0", -1}, {"v22.10.0", "v22.9.1", 1}, {"2.0.0", "2.0.0", 0}} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compare(%s, %s) = %d", c.a, c.b, got)
		}
	}
}

func TestLocateGivesUpOnACLIThatHangs(t *testing.T) {
	home, env, pathDir := testHome(t)
	fakeCLI(t, filepath.Join(pathDir, "claude"), "#!/bin/sh\nsleep 30\n")
	start := time.Now()
	got := Locate(LocateOptions{Home: home, Env: env, Timeout: 300 * time.Millisecond})
	if got.Code != CodeNotRunnable || !strings.Contains(got.Error, "did not answer") {
		t.Fatalf("got %+v", got)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("took %s", took)
	}
}

// TestExitReasonCutsLongStderrBetweenCharacters: the CLI's stderr shown
// in Settings keeps whole characters and says it was cut.
func TestExitReasonCutsLongStderrBetweenCharacters(t *testing.T) {
	cmd := exec.Command("sh", "-c", `printf '%s' "$STDERR" >&2; exit 3`)
	cmd.Env = append(os.Environ(), "STDERR=x"+strings.Repeat("é", 400))
	_, err := cmd.Output()
	if err == nil {
		t.Fatal("the command did not fail")
	}
	got := exitReason(err)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "éé…") || !strings.HasPrefix(got, "exit status 3: xé") {
		t.Fatalf("exitReason = %q", got)
	}
}

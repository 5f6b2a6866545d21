package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/konui/konui/backend/shared/auth"
)

func TestTheServiceUnitPassesSystemdAnalyzeAndKeepsTheTokenOutOfItsCommandLine(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is missing: scripts/setup.sh installs it (Debian package systemd)")
	}
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("KONSOLE_TOKEN", "unit-secret-token")
	// A binary whose path and data folder need quoting, % and $ included.
	dir := filepath.Join(home, "my apps")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "konui")
	b, err := os.ReadFile(konuiBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	f := konsoleFlags{listen: "0.0.0.0:7421", advertise: "dev.example", claude: "claude", keepEvents: 100_000, logLevel: "info"}
	tokenFile, _, err := serviceTokenFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := auth.ReadTokenFile(tokenFile); got != "unit-secret-token" {
		t.Fatalf("token file %s holds %q", tokenFile, got)
	}
	if fi, _ := os.Stat(tokenFile); fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", fi.Mode().Perm())
	}
	args, err := serviceArgs(f, filepath.Join(home, "data 100% $HOME"), tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	unit := serviceUnit(exe, args, "/usr/local/bin:/usr/bin:/bin")
	if strings.Contains(unit, "unit-secret-token") {
		t.Fatalf("the unit holds the token:\n%s", unit)
	}
	for _, want := range []string{"--token-file " + tokenFile, `"` + exe + `" konsole --listen 0.0.0.0:7421`, `--data "` + filepath.Join(home, "data 100%% $$HOME") + `"`, "WantedBy=default.target", "KillMode=mixed"} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q:\n%s", want, unit)
		}
	}
	path := filepath.Join(home, serviceName)
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s\n%s", err, out, unit)
	}
	// And it does find faults, so that the pass above means something.
	if err := os.WriteFile(path, []byte(strings.Replace(unit, "KillMode=mixed", "KillMode=sometimes", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput(); !strings.Contains(string(out), "sometimes") {
		t.Fatalf("systemd-analyze verify passed a broken unit: %s", out)
	}
}

func TestSystemdQuoteKeepsWordsWhole(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/konui":  "/usr/bin/konui",
		"a b":             `"a b"`,
		`say "hi"`:        `"say \"hi\""`,
		"100%":            "100%%",
		"$HOME":           "$$HOME",
		`back\slash`:      `"back\\slash"`,
		"":                `""`,
		"0.0.0.0:7421":    "0.0.0.0:7421",
		"semi;colon":      `"semi;colon"`,
		"PATH=/a b:/usr/": `"PATH=/a b:/usr/"`,
	} {
		if got := systemdQuote(in); got != want {
			t.Errorf("systemdQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestInstallServiceWithoutSystemctlSaysSoAndWritesNothing(t *testing.T) {
	home := t.TempDir()
	env := testEnv(home)
	for i, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			env[i] = "PATH=" + filepath.Join(home, "no-bin")
		}
	}
	_, errb, code := runKonui(t, env, "konsole", "--install-service", "--listen", "0.0.0.0:7421")
	if code != 1 || !strings.Contains(errb, "systemctl was not found on PATH") || !strings.Contains(errb, "does not run systemd") {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "systemd", "user", serviceName)); !os.IsNotExist(err) {
		t.Fatalf("a unit was written: %v", err)
	}
	out, errb, code := runKonui(t, env, "konsole", "--uninstall-service")
	if code != 0 || !strings.Contains(out, "nothing to remove") {
		t.Fatalf("--uninstall-service with nothing installed: exit %d, %q %q", code, out, errb)
	}
}

// On a machine whose systemctl finds no user manager (a container, a
// server with no login session), the sentence carries systemctl's words
// and what to do, and neither a unit nor a token made for it is left
// behind.
func TestInstallServiceWithoutAUserManagerSaysWhatToDo(t *testing.T) {
	systemctl, err := exec.LookPath("systemctl")
	if err != nil {
		t.Skip("no systemctl here: the test above covers it")
	}
	home := t.TempDir()
	env := testEnv(home)
	probe := exec.Command(systemctl, "--user", "show-environment")
	probe.Env = env
	if probe.Run() == nil {
		t.Skip("a systemd user manager runs here: installing would start a real service")
	}
	_, errb, code := runKonui(t, env, "konsole", "--install-service", "--listen", "0.0.0.0:7421", "--data", filepath.Join(home, "data"))
	if code != 1 || !strings.Contains(errb, "systemctl --user daemon-reload failed") {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "systemd", "user", serviceName)); !os.IsNotExist(err) {
		t.Fatalf("a unit was left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "konui", "konsole-token")); !os.IsNotExist(err) {
		t.Fatalf("the token generated for the service was left behind: %v", err)
	}
}

func TestInstallServiceRefusesADataFolderARunningKonsoleHolds(t *testing.T) {
	if _, err := exec.LookPath("systemctl"); err != nil {
		t.Skip("no systemctl here: the refusal comes after that check")
	}
	home := t.TempDir()
	p := startKonsole(t, home, []string{"KONSOLE_TOKEN=held"}, "--listen", "127.0.0.1:0")
	_, errb, code := runKonui(t, testEnv(home), "konsole", "--install-service", "--data", p.data)
	if code != 1 || !strings.Contains(errb, "a Konsole already runs with the data folder") || !strings.Contains(errb, "stop that one first") {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "systemd", "user", serviceName)); !os.IsNotExist(err) {
		t.Fatalf("a unit was written: %v", err)
	}
}

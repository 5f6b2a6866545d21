package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/konui/konui/backend/konsole/runfile"
	"github.com/konui/konui/backend/shared/atomicfile"
	"github.com/konui/konui/backend/shared/auth"
	"github.com/konui/konui/backend/shared/paths"
)

// serviceName is the systemd user unit of `konui konsole --install-service`.
const serviceName = "konui-konsole.service"

// serviceUnitPath is where the user unit is written:
// $XDG_CONFIG_HOME/systemd/user/konui-konsole.service.
func serviceUnitPath() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("failed to find the config folder: %w", err)
	}
	return filepath.Join(d, "systemd", "user", serviceName), nil
}

// errNoSystemctl is the sentence for a machine without systemd's systemctl.
var errNoSystemctl = errors.New("systemctl was not found on PATH: --install-service writes a systemd user unit, and this machine does not run systemd " +
	"(or systemctl is not installed); run `konui konsole` under the supervisor this machine has instead (a system service, runit, supervisord, or tmux by hand)")

// installService is `konui konsole --install-service`: it writes a user
// unit that runs this Konsole with the flags given (the token by file,
// never in the unit's command line) and runs `systemctl --user enable
// --now` on it.
func installService(ctx context.Context, f konsoleFlags, dataDir string, stdout, stderr io.Writer) int {
	if err := doInstallService(ctx, f, dataDir, stdout); err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 1
	}
	return 0
}

func doInstallService(ctx context.Context, f konsoleFlags, dataDir string, stdout io.Writer) error {
	systemctl, err := exec.LookPath("systemctl")
	if err != nil {
		return errNoSystemctl
	}
	if info, ok, err := runfile.Read(dataDir); err == nil && ok {
		return fmt.Errorf("a Konsole already runs with the data folder %s (pid %d, %s): the service would find the folder taken; stop that one first", dataDir, info.PID, info.URL)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("failed to find this konui's path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	tokenFile, created, err := serviceTokenFile(f)
	if err != nil {
		return err
	}
	// Nothing half done: what this install made goes again when it fails
	// (a token generated for it, a unit no manager loaded).
	undo := func() {
		if created {
			os.Remove(tokenFile)
		}
	}
	unitPath, err := serviceUnitPath()
	if err != nil {
		undo()
		return err
	}
	args, err := serviceArgs(f, dataDir, tokenFile)
	if err != nil {
		undo()
		return err
	}
	unit := serviceUnit(exe, args, os.Getenv("PATH"))
	if err := os.MkdirAll(filepath.Dir(unitPath), 0o755); err != nil {
		undo()
		return fmt.Errorf("failed to create %s: %w", filepath.Dir(unitPath), err)
	}
	if err := atomicfile.Write(unitPath, []byte(unit), 0o644); err != nil {
		undo()
		return err
	}
	err = runSystemctl(ctx, systemctl, "daemon-reload")
	if err == nil {
		err = runSystemctl(ctx, systemctl, "enable", "--now", serviceName)
	}
	if err != nil {
		os.Remove(unitPath)
		undo()
		return err
	}
	if created {
		fmt.Fprintf(stdout, "Generated a token in %s (mode 0600).\n", tokenFile)
	}
	printInstalled(stdout, unitPath, f)
	waitForService(ctx, stdout, dataDir)
	return nil
}

// waitForService says whether the service's Konsole came up: systemctl
// returns once the process started, before it listens.
func waitForService(ctx context.Context, w io.Writer, dataDir string) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if info, ok, _ := runfile.Read(dataDir); ok {
			fmt.Fprintf(w, "It is running: pid %d, %s.\n", info.PID, info.URL)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	fmt.Fprintf(w, "It has not started listening within 15 s: see journalctl --user -u %s\n", serviceName)
}

func printInstalled(w io.Writer, unitPath string, f konsoleFlags) {
	fmt.Fprintf(w, "Installed and started the systemd user unit %s (%s).\n", serviceName, unitPath)
	fmt.Fprintf(w, "  status:  konui konsole --status%s   (or systemctl --user status %s)\n", dataArg(f.data), serviceName)
	fmt.Fprintf(w, "  logs:    journalctl --user -u %s\n", serviceName)
	if servesSelfSigned(f) {
		fmt.Fprintf(w, "  pairing: %s\n", pairingCommand(f.data))
	}
	fmt.Fprintf(w, "  remove:  konui konsole --uninstall-service   (or: systemctl --user disable --now %s && rm %s)\n", serviceName, unitPath)
	fmt.Fprintf(w, "To keep it running while you are logged out: loginctl enable-linger %s\n", userName())
}

func dataArg(data string) string {
	if data == "" {
		return ""
	}
	return " --data " + shellQuote(data)
}

func userName() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "$USER"
}

// uninstallService is `konui konsole --uninstall-service`.
func uninstallService(ctx context.Context, stdout, stderr io.Writer) int {
	unitPath, err := serviceUnitPath()
	if err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 1
	}
	if _, err := os.Stat(unitPath); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "No systemd user unit is installed (%s does not exist): nothing to remove.\n", unitPath)
		return 0
	}
	systemctl, err := exec.LookPath("systemctl")
	if err != nil {
		fmt.Fprintln(stderr, "konui konsole:", errNoSystemctl)
		return 1
	}
	if err := runSystemctl(ctx, systemctl, "disable", "--now", serviceName); err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 1
	}
	if err := os.Remove(unitPath); err != nil {
		fmt.Fprintln(stderr, "konui konsole:", fmt.Errorf("failed to remove %s: %w", unitPath, err))
		return 1
	}
	if err := runSystemctl(ctx, systemctl, "daemon-reload"); err != nil {
		// The unit is gone; systemd forgets it at its next reload.
		fmt.Fprintln(stderr, "konui konsole:", err)
	}
	fmt.Fprintf(stdout, "Stopped, disabled and removed %s.\n", unitPath)
	return 0
}

// runSystemctl runs systemctl --user args; its error carries systemctl's
// own words and what to do when no user manager runs.
func runSystemctl(ctx context.Context, systemctl string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, systemctl, append([]string{"--user"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		words := strings.TrimSpace(out.String())
		if words == "" {
			words = err.Error()
		}
		hint := ""
		if strings.Contains(words, "bus") || strings.Contains(words, "XDG_RUNTIME_DIR") {
			hint = "; no systemd user manager answers for this user: log in on a session of this machine (or `loginctl enable-linger " + userName() + "` as root), then try again"
		}
		return fmt.Errorf("systemctl --user %s failed: %s%s", strings.Join(args, " "), words, hint)
	}
	return nil
}

// serviceTokenFile is the token file the unit passes with --token-file:
// the one given, else a $KONSOLE_TOKEN kept in the config folder (0600),
// else the stored token (made now when there is none).
func serviceTokenFile(f konsoleFlags) (path string, created bool, err error) {
	t, from, err := auth.TokenSource{File: f.tokenFile, Env: "KONSOLE_TOKEN"}.Read()
	if err != nil {
		return "", false, err
	}
	if f.tokenFile != "" {
		return absPath(from), false, nil
	}
	if t != "" {
		if path, err = paths.ConfigFile("konsole-service-token"); err != nil {
			return "", false, err
		}
		dir := filepath.Dir(path)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", false, fmt.Errorf("failed to create %s: %w", dir, err)
		}
		return path, false, atomicfile.Write(path, []byte(t+"\n"), 0o600)
	}
	if path, err = storedKonsoleTokenPath(); err != nil {
		return "", false, err
	}
	_, created, err = auth.LoadOrCreateToken(path)
	return path, created, err
}

// serviceArgs are the unit's `konui konsole` flags: those given, with
// every path made absolute (the unit runs from another folder).
func serviceArgs(f konsoleFlags, dataDir, tokenFile string) ([]string, error) {
	args := []string{"konsole", "--listen", f.listen, "--data", absPath(dataDir), "--token-file", tokenFile}
	if f.tlsCert != "" {
		args = append(args, "--tls-cert", absPath(f.tlsCert), "--tls-key", absPath(f.tlsKey))
	}
	if f.insecureRemote {
		args = append(args, "--insecure-remote")
	}
	if f.advertise != "" {
		args = append(args, "--advertise", f.advertise)
	}
	if f.claude != "" {
		c := f.claude
		if strings.ContainsRune(c, os.PathSeparator) {
			c = absPath(c)
		}
		args = append(args, "--claude", c)
	}
	args = append(args, "--keep-events", strconv.FormatInt(f.keepEvents, 10), "--log-level", f.logLevel)
	return args, nil
}

// serviceUnit is the text of the user unit running exe with args. path is
// the PATH of the person installing it, so that the service finds the same
// Claude Code CLI (a user manager's PATH is short).
func serviceUnit(exe string, args []string, path string) string {
	var b strings.Builder
	b.WriteString("# Written by `konui konsole --install-service`; remove it with `konui konsole --uninstall-service`.\n")
	b.WriteString("[Unit]\nDescription=Konui Konsole (Claude Code session manager)\nDocumentation=man:konui(1)\n\n")
	b.WriteString("[Service]\nType=exec\n")
	b.WriteString("ExecStart=" + systemdQuote(exe))
	for _, a := range args {
		b.WriteString(" " + systemdQuote(a))
	}
	b.WriteString("\n")
	if path != "" {
		b.WriteString("Environment=" + systemdQuote("PATH="+path) + "\n")
	}
	// SIGTERM to konui alone: it stops its agents itself; whatever is left
	// after the timeout is killed.
	b.WriteString("KillMode=mixed\nTimeoutStopSec=30\nRestart=on-failure\nRestartSec=5\n\n")
	b.WriteString("[Install]\nWantedBy=default.target\n")
	return b.String()
}

// systemdQuote quotes one word of an ExecStart= or Environment= line:
// systemd expands % specifiers and $ variables and splits on spaces.
func systemdQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	s = strings.ReplaceAll(s, "$", "$$")
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;\n") {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return `"` + s + `"`
}

// Package paths says where konui keeps its files: the config and data
// folders under the XDG base directories, and the checkout a development
// binary runs from.
//
// Start reading at ConfigDir and DataDir.
package paths

import (
	"fmt"
	"os"
	"path/filepath"
)

// ConfigDir is konui's folder under the XDG config dir.
func ConfigDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("failed to find the config folder: %w", err)
	}
	return filepath.Join(d, "konui"), nil
}

// ConfigFile is the file name in ConfigDir (a token, the settings, the
// list of Konsoles).
func ConfigFile(name string) (string, error) {
	d, err := ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, name), nil
}

// DataDir is konui's folder under the XDG data dir.
func DataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "konui"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("failed to find the data folder: %w", err)
	}
	return filepath.Join(home, ".local", "share", "konui"), nil
}

// KonsoleDataDir is the data folder of a Konsole given no --data:
// DataDir/konsole.
func KonsoleDataDir() (string, error) {
	d, err := DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "konsole"), nil
}

// Repository is the konui checkout this binary was built in when it runs
// from the checkout's bin/ (make run), else "": its .tools/claude holds the
// pinned Claude Code CLI, the last place Konsole looks for one.
func Repository() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	dir := filepath.Dir(exe)
	root := filepath.Dir(dir)
	if filepath.Base(dir) != "bin" {
		return ""
	}
	for _, p := range []string{"go.mod", "wails.json", ".tools/claude/package.json"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			return ""
		}
	}
	return root
}

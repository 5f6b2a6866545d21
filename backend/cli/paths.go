package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/konui/konui/backend/atomicfile"
	"github.com/konui/konui/backend/auth"
)

// ConfigDir is konui's folder under the XDG config dir.
func ConfigDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("failed to find the config folder: %w", err)
	}
	return filepath.Join(d, "konui"), nil
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

// LoadOrCreateToken reads the token stored in path, or creates one there
// with mode 0600 (its folder 0700). created tells which happened.
func LoadOrCreateToken(path string) (token string, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, false, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("failed to read the token file %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, fmt.Errorf("failed to create %s: %w", filepath.Dir(path), err)
	}
	token = auth.NewToken()
	if err := WriteSecret(path, []byte(token+"\n")); err != nil {
		return "", false, err
	}
	return token, true, nil
}

// WriteSecret writes data to path with mode 0600, replacing it atomically.
func WriteSecret(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o600)
}

// ReadTokenFile reads a token from a file, refusing an empty one.
func ReadTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("failed to read the token file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("the token file %s is empty", path)
	}
	return t, nil
}

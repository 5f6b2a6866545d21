package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/konui/konui/backend/bridge/fleet"
	"github.com/konui/konui/backend/shared/atomicfile"
	"github.com/konui/konui/backend/shared/paths"
)

// Geometry is the window's remembered size and position.
type Geometry struct {
	X, Y, Width, Height int
}

// Settings are the desktop app's preferences, kept in settings.json under
// the XDG config folder with mode 0600 (a file from before the fleet
// holds the tokens of its profiles).
type Settings struct {
	// Profiles are the remote Konsoles of a settings file from before the
	// fleet (issue 19): the window moves them into konsoles.json once
	// (with their ids and tokens) and then drops them from here.
	Profiles []fleet.Profile `json:"profiles,omitempty"`
	// Active is the profile such a file followed; read, never written.
	Active            string    `json:"active,omitempty"`
	NotifyKontasks    bool      `json:"notifyKontasks"`
	NotifyTurns       bool      `json:"notifyTurns"`
	NotifyPermissions bool      `json:"notifyPermissions"`
	HideToTray        bool      `json:"hideToTray"`
	Window            *Geometry `json:"window,omitempty"`
	// ClaudePath is the Claude Code CLI of the local Konsole; empty: look
	// where installs put it. The --claude flag wins over it.
	ClaudePath string `json:"claudePath,omitempty"`
}

// DefaultSettings is what a first start uses.
func DefaultSettings() Settings {
	return Settings{NotifyKontasks: true, NotifyTurns: true, NotifyPermissions: true}
}

// SettingsStore loads and saves Settings atomically.
type SettingsStore struct {
	path string
	mu   sync.Mutex
	s    Settings
}

// OpenSettings reads path, or starts from the defaults when it does not exist.
func OpenSettings(path string) (*SettingsStore, error) {
	st := &SettingsStore{path: path, s: DefaultSettings()}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the settings %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &st.s); err != nil {
		return nil, fmt.Errorf("the settings file %s is not valid JSON (%v); fix or remove it", path, err)
	}
	return st, nil
}

// DefaultSettingsPath is settings.json under konui's config folder.
func DefaultSettingsPath() (string, error) {
	return paths.ConfigFile("settings.json")
}

// Get returns a copy of the settings.
func (st *SettingsStore) Get() Settings {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.Profiles = slices.Clone(st.s.Profiles)
	return s
}

// Update changes the settings with f and saves them.
func (st *SettingsStore) Update(f func(*Settings) error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	next := st.s
	next.Profiles = slices.Clone(st.s.Profiles)
	if err := f(&next); err != nil {
		return err
	}
	b, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(st.path), 0o700); err != nil {
		return fmt.Errorf("failed to save the settings: %w", err)
	}
	if err := atomicfile.Write(st.path, b, 0o600); err != nil {
		return err
	}
	st.s = next
	return nil
}

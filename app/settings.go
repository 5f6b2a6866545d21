package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/konui/konui/backend/auth"
	"github.com/konui/konui/backend/cli"
)

// LocalProfile is the id of the always-present embedded Konsole.
const LocalProfile = "local"

// Profile is a Konsole to connect to.
type Profile struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	URL   string `json:"url"`
	Token string `json:"token"`
}

// Geometry is the window's remembered size and position.
type Geometry struct {
	X, Y, Width, Height int
}

// Settings are the desktop app's preferences, kept in settings.json under
// the XDG config folder with mode 0600 (it holds tokens).
type Settings struct {
	Profiles          []Profile `json:"profiles"`
	Active            string    `json:"active"`
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
	return Settings{Active: LocalProfile, NotifyKontasks: true, NotifyTurns: true, NotifyPermissions: true}
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
	if st.s.Active == "" {
		st.s.Active = LocalProfile
	}
	return st, nil
}

// DefaultSettingsPath is settings.json under konui's config folder.
func DefaultSettingsPath() (string, error) {
	d, err := cli.ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "settings.json"), nil
}

// Get returns a copy of the settings.
func (st *SettingsStore) Get() Settings {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.Profiles = append([]Profile(nil), st.s.Profiles...)
	return s
}

// Update changes the settings with f and saves them.
func (st *SettingsStore) Update(f func(*Settings) error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	next := st.s
	next.Profiles = append([]Profile(nil), st.s.Profiles...)
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
	if err := cli.WriteSecret(st.path, b); err != nil {
		return err
	}
	st.s = next
	return nil
}

// ValidateProfile checks a profile a person typed in.
func ValidateProfile(p Profile) error {
	if strings.TrimSpace(p.Name) == "" {
		return errors.New("give the Konsole a name")
	}
	if p.ID == LocalProfile {
		return errors.New("the Local profile cannot be changed")
	}
	u, err := url.Parse(strings.TrimSpace(p.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("the URL must look like https://host:7421 (http or https)")
	}
	if strings.TrimSpace(p.Token) == "" {
		return errors.New("the Konsole's token is required (konui konsole prints it)")
	}
	return nil
}

// SaveProfile adds p (no id) or replaces the profile with its id. An empty
// token on an existing profile keeps the stored one (the UI never sees tokens).
func (st *SettingsStore) SaveProfile(p Profile) (Profile, error) {
	p.Name, p.URL, p.Token = strings.TrimSpace(p.Name), strings.TrimRight(strings.TrimSpace(p.URL), "/"), strings.TrimSpace(p.Token)
	err := st.Update(func(s *Settings) error {
		if p.ID != "" {
			for i, old := range s.Profiles {
				if old.ID == p.ID {
					if p.Token == "" {
						p.Token = old.Token
					}
					if err := ValidateProfile(p); err != nil {
						return err
					}
					s.Profiles[i] = p
					return nil
				}
			}
			return fmt.Errorf("no profile with id %q", p.ID)
		}
		if err := ValidateProfile(p); err != nil {
			return err
		}
		p.ID = auth.NewToken()[:12]
		s.Profiles = append(s.Profiles, p)
		return nil
	})
	return p, err
}

// DeleteProfile removes a profile; the active one falls back to Local.
func (st *SettingsStore) DeleteProfile(id string) error {
	return st.Update(func(s *Settings) error {
		for i, p := range s.Profiles {
			if p.ID == id {
				s.Profiles = append(s.Profiles[:i], s.Profiles[i+1:]...)
				if s.Active == id {
					s.Active = LocalProfile
				}
				return nil
			}
		}
		return fmt.Errorf("no profile with id %q", id)
	})
}

// Profile returns a profile by id.
func (s Settings) Profile(id string) (Profile, bool) {
	for _, p := range s.Profiles {
		if p.ID == id {
			return p, true
		}
	}
	return Profile{}, false
}

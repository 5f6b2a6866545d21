package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/shared/atomicfile"
)

// FileName is the store's name in konui's config folder.
const FileName = "konsoles.json"

// Kinds of remote, as KonsoleSpec.Kind shows them.
const (
	KindURL     = "url"
	KindPairing = "pairing"
	KindSSH     = "ssh"
)

// Remote is one stored Konsole. Exactly one way to reach it is set: URL
// and Token (with Fingerprint for a paired one, CA for a private CA), or
// SSH.
type Remote struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
	// Token is the Konsole's API token (none for SSH: it is read over the
	// connection each time).
	Token string `json:"token,omitempty"`
	// Fingerprint pins the Konsole's certificate (SHA-256, 64 hex).
	Fingerprint string `json:"fingerprint,omitempty"`
	// CA is the PEM text of a private CA that signed its certificate.
	CA string `json:"ca,omitempty"`
	// SSH is ssh://[user@]host[:port][?konui=path].
	SSH     string `json:"ssh,omitempty"`
	Enabled bool   `json:"enabled"`
}

// Kind is how the Remote is reached.
func (r Remote) Kind() string {
	switch {
	case r.SSH != "":
		return KindSSH
	case r.Fingerprint != "":
		return KindPairing
	default:
		return KindURL
	}
}

// Options are what the fleet cannot decide itself.
type Options struct {
	// Tunnel opens an SSH tunnel to a Konsole (the stack wires it to
	// backend/bridge/sshtunnel): resolve gives the forwarded URL and the token,
	// starting ssh when it is not running; close ends it. Nil: SSH remotes
	// cannot be added, and stored ones report that they cannot connect.
	Tunnel func(sshURL string) (resolve func(ctx context.Context) (url, token string, err error), close func(), err error)
	// Timeout bounds the test of a new Konsole (10 s when zero).
	Timeout time.Duration
}

// file is konsoles.json.
type file struct {
	Version int `json:"version"`
	// LocalName is the name a person gave the local Konsole ("" keeps Local).
	LocalName string   `json:"localName,omitempty"`
	Konsoles  []Remote `json:"konsoles"`
}

// Fleet is the stored list. Its methods are safe for concurrent use.
type Fleet struct {
	path string
	o    Options

	saveMu sync.Mutex // serialises changes and their writes, in order
	mu     sync.Mutex // guards f and session; never held during I/O
	f      file
	// session holds the Konsoles connected for this run only (Connect:
	// --konsole flags) by id, so that no stored one takes their ids and
	// none is added twice.
	session map[string]Remote
}

var _ bridge.Fleet = (*Fleet)(nil)

// Open reads the store at path (none yet is an empty list).
func Open(path string, o Options) (*Fleet, error) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	fl := &Fleet{path: path, o: o, f: file{Version: 1}, session: map[string]Remote{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fl, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the Konsole list: %w", err)
	}
	if err := json.Unmarshal(b, &fl.f); err != nil {
		return nil, fmt.Errorf("failed to read the Konsole list %s: %w (fix or remove the file)", path, err)
	}
	if fl.f.Version > 1 {
		return nil, fmt.Errorf("the Konsole list %s is of version %d, newer than this konui reads (1): update konui", path, fl.f.Version)
	}
	fl.f.Version = 1
	return fl, nil
}

// Path is the store's file.
func (fl *Fleet) Path() string { return fl.path }

// Remotes returns a copy of the stored list, in the order added.
func (fl *Fleet) Remotes() []Remote {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return slices.Clone(fl.f.Konsoles)
}

// LocalName is the name given to the local Konsole, "" for the default.
func (fl *Fleet) LocalName() string {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.f.LocalName
}

// Specs are the stored Konsoles for the bridge's Config.Konsoles: every
// remote, the disabled ones with Disabled set (the bridge lists them, so
// that they can be enabled again, without following them). Each call
// makes new clients and tunnels: call it once, at start.
func (fl *Fleet) Specs() []bridge.KonsoleSpec {
	remotes := fl.Remotes()
	specs := make([]bridge.KonsoleSpec, 0, len(remotes))
	for _, r := range remotes {
		specs = append(specs, fl.spec(r))
	}
	return specs
}

// spec is the bridge's view of a stored Remote, without testing it.
func (fl *Fleet) spec(r Remote) bridge.KonsoleSpec {
	s := bridge.KonsoleSpec{ID: r.ID, Name: r.Name, URL: r.URL, Token: r.Token, Kind: r.Kind(), Disabled: !r.Enabled}
	switch r.Kind() {
	case KindSSH:
		resolve, closeFn, err := fl.tunnel(r.SSH)
		if err != nil {
			s.Resolve = func(context.Context) (string, string, error) { return "", "", err }
			return s
		}
		s.Resolve, s.Close = resolve, closeFn
	case KindPairing:
		s.HTTPClient = pairing.PinnedClient(r.Fingerprint)
	default:
		c, err := clientFor(r.URL, r.CA)
		if err != nil {
			s.Resolve = func(context.Context) (string, string, error) { return "", "", err }
			return s
		}
		s.HTTPClient = c
	}
	return s
}

// Update renames a stored Konsole or enables/disables it. The local one
// can be renamed only (the bridge refuses to disable it).
func (fl *Fleet) Update(id string, name *string, enabled *bool) error {
	return fl.change(func(f *file) error {
		if id == bridge.LocalID {
			if name != nil {
				f.LocalName = *name
			}
			return nil
		}
		i := index(f.Konsoles, id)
		if i < 0 {
			return notFound(id)
		}
		if name != nil {
			f.Konsoles[i].Name = *name
		}
		if enabled != nil {
			f.Konsoles[i].Enabled = *enabled
		}
		return nil
	}, func() bool { return id != bridge.LocalID && fl.isSession(id) })
}

// Remove forgets a stored Konsole (or one connected for this run only).
func (fl *Fleet) Remove(id string) error {
	if id == bridge.LocalID {
		return &bridge.APIError{Status: http.StatusConflict, Code: "conflict", Message: "the local Konsole cannot be removed"}
	}
	fl.mu.Lock()
	if _, ok := fl.session[id]; ok {
		delete(fl.session, id)
		fl.mu.Unlock()
		return nil
	}
	fl.mu.Unlock()
	return fl.change(func(f *file) error {
		i := index(f.Konsoles, id)
		if i < 0 {
			return notFound(id)
		}
		f.Konsoles = slices.Delete(f.Konsoles, i, i+1)
		return nil
	}, nil)
}

func (fl *Fleet) isSession(id string) bool {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	_, ok := fl.session[id]
	return ok
}

// change applies edit to a copy of the list and saves it; the list in
// memory changes only once the file is written. skip, when it says so,
// makes the change a no-op (a Konsole of this run only: nothing stored).
func (fl *Fleet) change(edit func(*file) error, skip func() bool) error {
	fl.saveMu.Lock()
	defer fl.saveMu.Unlock()
	if skip != nil && skip() {
		return nil
	}
	fl.mu.Lock()
	next := fl.f
	next.Konsoles = slices.Clone(fl.f.Konsoles)
	fl.mu.Unlock()
	if err := edit(&next); err != nil {
		return err
	}
	if err := fl.write(next); err != nil {
		return &bridge.APIError{Status: http.StatusInternalServerError, Code: bridge.CodeInternal, Message: err.Error()}
	}
	fl.mu.Lock()
	fl.f = next
	fl.mu.Unlock()
	return nil
}

func (fl *Fleet) write(f file) error {
	if err := os.MkdirAll(filepath.Dir(fl.path), 0o700); err != nil {
		return fmt.Errorf("failed to save the Konsole list: %w", err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("failed to save the Konsole list: %w", err)
	}
	return atomicfile.Write(fl.path, append(b, '\n'), 0o600)
}

func index(rs []Remote, id string) int {
	return slices.IndexFunc(rs, func(r Remote) bool { return r.ID == id })
}

func notFound(id string) error {
	return &bridge.APIError{Status: http.StatusNotFound, Code: "not_found", Message: "no Konsole has the id " + id}
}

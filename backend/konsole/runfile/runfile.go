package runfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/konui/konui/backend/shared/atomicfile"
	"github.com/konui/konui/backend/shared/paths"
)

// Name is the run file's name inside a Konsole's data dir.
const Name = "run.json"

// Info is what a running Konsole says about itself. It never holds the
// token: TokenFile is where the token is kept (readable by the same user).
type Info struct {
	PID       int       `json:"pid"`
	URL       string    `json:"url"`
	Listen    string    `json:"listen"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"startedAt"`
	TokenFile string    `json:"tokenFile"`
	// Fingerprint is the SHA-256 of the certificate a Konsole serving TLS
	// presents (pin it to reach URL, whose host the certificate may not name).
	Fingerprint string `json:"fingerprint,omitempty"`
	// PairingURL is set when the Konsole serves its self-signed
	// certificate: the URL its pairing string names (`konui konsole
	// --pairing` prints the string again).
	PairingURL string `json:"pairingUrl,omitempty"`
}

// LockName is the data folder's lock file. A running Konsole holds an
// exclusive lock on it for as long as it runs, and the system lets go of
// it when the process ends, however it ends: whether a Konsole runs on a
// data folder is decided by this lock, never by the pid in the run file
// (a crash leaves run.json behind, and its pid may by now be another
// process's).
const LockName = "konsole.lock"

// Path is the run file of the Konsole whose data dir is dataDir.
func Path(dataDir string) string { return filepath.Join(dataDir, Name) }

// LockPath is the lock file of dataDir (see LockName).
func LockPath(dataDir string) string { return filepath.Join(dataDir, LockName) }

// Held tells whether a Konsole holds the lock of dataDir, that is, runs on
// it. It only tests the lock: it takes a shared lock for an instant when
// none is held, which a Konsole starting at that instant waits out (see
// backend/konsole's lockDataDir).
func Held(dataDir string) (bool, error) { return held(LockPath(dataDir)) }

// Write records i as the running Konsole of dataDir (mode 0600, replaced
// atomically; the folder is made 0700 when missing).
func Write(dataDir string, i Info) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", dataDir, err)
	}
	b, err := json.MarshalIndent(i, "", "  ")
	if err != nil {
		return fmt.Errorf("failed to encode the run file: %w", err)
	}
	return atomicfile.Write(Path(dataDir), append(b, '\n'), 0o600)
}

// Remove deletes the run file of dataDir; a missing one is no error.
func Remove(dataDir string) error {
	if err := os.Remove(Path(dataDir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("failed to remove the run file: %w", err)
	}
	return nil
}

// RemoveIfOwn deletes the run file of dataDir only when it names pid, so
// that a Konsole that lost a race for the folder does not remove the
// record of the one that runs.
func RemoveIfOwn(dataDir string, pid int) error {
	i, ok, err := readFile(dataDir)
	if err != nil || !ok || i.PID != pid {
		return err
	}
	return Remove(dataDir)
}

// Read returns the Konsole running on dataDir. ok is false when there is
// none: no run file, or one left by a Konsole that is gone (a crash or
// kill -9 cannot remove it), which the data folder's lock tells (Held),
// whatever process its pid names now.
func Read(dataDir string) (i Info, ok bool, err error) {
	i, ok, err = readFile(dataDir)
	if err != nil || !ok {
		return Info{}, false, err
	}
	running, err := Held(dataDir)
	if err != nil || !running {
		return Info{}, false, err
	}
	return i, true, nil
}

func readFile(dataDir string) (Info, bool, error) {
	b, err := os.ReadFile(Path(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, false, nil
	}
	if err != nil {
		return Info{}, false, fmt.Errorf("failed to read the run file: %w", err)
	}
	var i Info
	if err := json.Unmarshal(b, &i); err != nil {
		return Info{}, false, fmt.Errorf("failed to read the run file %s: %w", Path(dataDir), err)
	}
	return i, true, nil
}

// DefaultDataDir is the data dir `konui konsole` uses without --data:
// $XDG_DATA_HOME/konui/konsole, else ~/.local/share/konui/konsole
// (paths.KonsoleDataDir, the one place that says so).
func DefaultDataDir() (string, error) { return paths.KonsoleDataDir() }

package konsole

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDataDir takes an exclusive lock on the data folder so that two
// Konsoles never write one event log. The lock ends with the process.
func lockDataDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the data folder %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "konsole.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to lock the data folder %s: %w", dir, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("another Konsole is already using the data folder %s", dir)
	}
	return f, nil
}

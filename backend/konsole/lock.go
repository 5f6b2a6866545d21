package konsole

import (
	"fmt"
	"os"
	"time"

	"github.com/konui/konui/backend/konsole/runfile"
)

// lockWait is how long lockDataDir tries for a lock that is held: long
// enough to wait out the instant `konui konsole --status` or --over-ssh
// holds it to test it (runfile.Held), far shorter than any Konsole runs.
const lockWait = 500 * time.Millisecond

// lockDataDir takes an exclusive lock on the data folder so that two
// Konsoles never write one event log. The lock ends with the process; it
// is also how other processes tell that this Konsole runs (runfile.Held).
func lockDataDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the data folder %s: %w", dir, err)
	}
	f, err := os.OpenFile(runfile.LockPath(dir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to lock the data folder %s: %w", dir, err)
	}
	deadline := time.Now().Add(lockWait)
	for lockFile(f) != nil {
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another Konsole is already using the data folder %s", dir)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return f, nil
}

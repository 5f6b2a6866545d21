package checkpoint

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// The journal is the order of a session's turns and rewinds: one key a
// line in the session's store folder, appended as each begins. Begin and
// End keep a turn's snapshots under <key>.start and <key>.end; RewindTo
// reads the journal from a turn on to tell the changes from outside.

// Begin snapshots the folder of session just before the prompt of the
// turn key goes to the agent, and notes the turn in the journal.
func (s *Store) Begin(ctx context.Context, session, folder, key string) (Snapshot, error) {
	if err := checkName("the turn", key); err != nil {
		return Snapshot{}, err
	}
	return s.snapshot(ctx, session, folder, key+".start", key)
}

// End snapshots the folder of session when the turn key has ended.
func (s *Store) End(ctx context.Context, session, folder, key string) (Snapshot, error) {
	if err := checkName("the turn", key); err != nil {
		return Snapshot{}, err
	}
	return s.snapshot(ctx, session, folder, key+".end", "")
}

// Has says whether the turn key of session has its snapshot from before
// its prompt.
func (s *Store) Has(session, key string) bool {
	if checkName("the session id", session) != nil || checkName("the turn", key) != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(s.dir, session, "git", filepath.FromSlash(ref(key+".start"))))
	return err == nil
}

// RewindTo rewinds the folder of session to just before the prompt of
// the turn key (see Rewind), with every turn and rewind the journal has
// from that turn on. An applied rewind is noted in the journal itself.
func (s *Store) RewindTo(ctx context.Context, session, folder, key string, overwrite []string, dryRun bool) (Plan, error) {
	if err := checkName("the turn", key); err != nil {
		return Plan{}, err
	}
	keys, err := s.journal(session)
	if err != nil {
		return Plan{}, err
	}
	i := slices.Index(keys, key)
	if i < 0 || !s.Has(session, key) {
		return Plan{}, ErrNotFound
	}
	var turns []Turn
	for _, k := range keys[i:] {
		turns = append(turns, Turn{Start: k + ".start", End: k + ".end"})
	}
	rec := "rewind-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	plan, err := s.Rewind(ctx, session, folder, turns, RewindOptions{Overwrite: overwrite, DryRun: dryRun,
		Record: Turn{Start: rec + ".start", End: rec + ".end"}})
	if err != nil || dryRun {
		return plan, err
	}
	release, err := s.acquire(ctx, session)
	if err != nil {
		return plan, err
	}
	defer release()
	return plan, (&shadow{dir: filepath.Join(s.dir, session)}).note(rec)
}

// note appends key to the journal. The caller holds the session's gate.
func (sh *shadow) note(key string) error {
	keys, err := readJournal(sh.dir)
	if err != nil {
		return err
	}
	if slices.Contains(keys, key) {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(sh.dir, "journal"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("failed to note the turn %s: %w", key, err)
	}
	_, err = f.WriteString(key + "\n")
	return errors.Join(err, f.Close())
}

// journal reads the journal of session, oldest first.
func (s *Store) journal(session string) ([]string, error) {
	if err := checkName("the session id", session); err != nil {
		return nil, err
	}
	return readJournal(filepath.Join(s.dir, session))
}

func readJournal(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, "journal"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the checkpoint journal: %w", err)
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k := sc.Text(); checkName("the turn", k) == nil {
			keys = append(keys, k) // a line cut by a crash is skipped
		}
	}
	return keys, sc.Err()
}

package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/konui/konui/backend/konsole/worktree"
)

// DefaultMaxFileSize is the size bound of Open when none is given: a file
// larger than this is left out of a snapshot, named in its Skipped, and
// never touched by a rewind.
const DefaultMaxFileSize int64 = 10 << 20

// ErrNotFound is returned for a snapshot name a session does not have.
var ErrNotFound = errors.New("no such checkpoint")

// Store keeps the snapshots of every session's folder: one shadow git
// folder per session under its own folder (in Konsole's data folder),
// with the session's folder passed to git as the work tree. Nothing is
// written into the session's folder or its repository; the repository's
// config, hooks, attributes and filters are never read (see shadowEnv).
type Store struct {
	dir     string
	maxFile int64

	mu    sync.Mutex
	gates map[string]chan struct{} // session -> its one-at-a-time gate
	last  map[string]Snapshot      // session -> its newest snapshot, once known
}

// Open returns the store kept in dir (made if missing). maxFile is the
// size bound of a file in a snapshot; 0 means DefaultMaxFileSize.
func Open(dir string, maxFile int64) (*Store, error) {
	if maxFile <= 0 {
		maxFile = DefaultMaxFileSize
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the checkpoint folder: %w", err)
	}
	return &Store{dir: dir, maxFile: maxFile, gates: map[string]chan struct{}{}, last: map[string]Snapshot{}}, nil
}

// MaxFileSize is the size bound of a file in a snapshot.
func (s *Store) MaxFileSize() int64 { return s.maxFile }

// Snapshot is one state of a session's folder.
type Snapshot struct {
	// ID names the state in the store (a commit of the shadow store).
	ID string `json:"id"`
	// At is when it was taken.
	At time.Time `json:"at"`
	// Skipped are the files over the size bound, left out.
	Skipped []Skipped `json:"skipped,omitempty"`
	// Nested are folders holding a repository of their own (a .git),
	// left out: git does not go into them.
	Nested []string `json:"nested,omitempty"`
}

// Skipped is a file left out of a snapshot for its size.
type Skipped struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// safeName is what a session id or a snapshot name may be: it becomes a
// folder name and a ref name.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

func checkName(what, name string) error {
	if !safeName.MatchString(name) || strings.Contains(name, "..") || strings.HasSuffix(name, ".lock") || strings.HasSuffix(name, ".") {
		return fmt.Errorf("failed to use %s %q: only letters, digits, '-', '_' and '.' may name it", what, name)
	}
	return nil
}

// acquire waits for the session's gate. The shadow store's index is one
// file that each snapshot rewrites, and git refuses a second writer
// instead of waiting: calls on one session take turns. The gate is a
// channel, not a mutex, so that a waiter gives up when ctx ends.
func (s *Store) acquire(ctx context.Context, session string) (release func(), err error) {
	s.mu.Lock()
	g, ok := s.gates[session]
	if !ok {
		g = make(chan struct{}, 1)
		s.gates[session] = g
	}
	s.mu.Unlock()
	select {
	case g <- struct{}{}:
		return func() { <-g }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("failed to wait for the checkpoint store: %w", ctx.Err())
	}
}

// shadow is one session's store folder with the folder it snapshots.
type shadow struct {
	s       *Store
	session string
	dir     string // the session's folder in the store: git/ and index
	folder  string // the session's folder, git's work tree
	env     []string
}

// open prepares the session's shadow folder (made on first use) for
// folder. The caller holds the session's gate.
func (s *Store) open(session, folder string) (*shadow, error) {
	if err := checkName("the session id", session); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(folder) {
		return nil, fmt.Errorf("failed to snapshot %q: the folder is not an absolute path", folder)
	}
	if st, err := os.Stat(folder); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("failed to snapshot %s: it is not a folder", folder)
	}
	dir := filepath.Join(s.dir, session)
	gd := filepath.Join(dir, "git")
	if _, err := os.Stat(filepath.Join(gd, "HEAD")); err != nil {
		if err := initShadow(gd); err != nil {
			return nil, err
		}
	}
	return &shadow{s: s, session: session, dir: dir, folder: folder, env: shadowEnv(gd, folder, filepath.Join(dir, "index"))}, nil
}

// shadowConfig is the whole config of a shadow store. No setting names a
// program, hooks go nowhere, and line endings are never converted, so
// that what is stored is the files' bytes.
const shadowConfig = "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfsmonitor = false\n" +
	"\thooksPath = " + os.DevNull + "\n\tuntrackedCache = false\n\tautocrlf = false\n\tsafecrlf = false\n" +
	"\tsymlinks = true\n\tquotePath = false\n\tlogAllRefUpdates = false\n[gc]\n\tauto = 0\n" +
	"[status]\n\trenames = false\n\tshowUntrackedFiles = all\n"

// shadowAttributes outranks every .gitattributes of the work tree: no
// filter, no line ending or encoding conversion, no $Id$ expansion, and
// no diff driver (a "-diff" in the work tree would hide line counts).
const shadowAttributes = "* -text -crlf !eol -filter -ident !working-tree-encoding !diff\n"

// initShadow makes an empty shadow git folder at gd by hand (git init
// would read templates and the person's global config).
func initShadow(gd string) error {
	tmp := gd + ".new"
	os.RemoveAll(tmp)
	err := errors.Join(
		os.MkdirAll(filepath.Join(tmp, "objects", "info"), 0o700),
		os.MkdirAll(filepath.Join(tmp, "refs", "heads"), 0o700),
		os.MkdirAll(filepath.Join(tmp, "info"), 0o700),
		os.WriteFile(filepath.Join(tmp, "HEAD"), []byte("ref: refs/heads/snapshots\n"), 0o600),
		os.WriteFile(filepath.Join(tmp, "config"), []byte(shadowConfig), 0o600),
		os.WriteFile(filepath.Join(tmp, "info", "attributes"), []byte(shadowAttributes), 0o600),
	)
	if err == nil {
		// Made aside and renamed: a crash halfway leaves no half store.
		err = os.Rename(tmp, gd)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("failed to create the checkpoint store: %w", err)
	}
	return nil
}

// shadowEnv points git at the shadow store with folder as its work tree,
// and keeps every config and attributes file but the store's own away.
func shadowEnv(gd, folder, index string) []string {
	return []string{"GIT_DIR=" + gd, "GIT_WORK_TREE=" + folder, "GIT_INDEX_FILE=" + index,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_ATTR_NOSYSTEM=1", "GIT_NO_REPLACE_OBJECTS=1",
		"GIT_AUTHOR_NAME=Konsole", "GIT_AUTHOR_EMAIL=konsole@localhost",
		"GIT_COMMITTER_NAME=Konsole", "GIT_COMMITTER_EMAIL=konsole@localhost"}
}

// git runs git in the shadow store with input on its standard input.
func (sh *shadow) git(ctx context.Context, input []byte, args ...string) ([]byte, error) {
	out, err := worktree.RunOwn(ctx, sh.folder, sh.env, input, args...)
	if err != nil {
		return nil, fmt.Errorf("failed to read the folder's state: %w", err)
	}
	return out, nil
}

// Take snapshots folder, the folder of session, and keeps it under name
// (a later Take with the same name replaces it).
func (s *Store) Take(ctx context.Context, session, folder, name string) (Snapshot, error) {
	if err := checkName("the checkpoint name", name); err != nil {
		return Snapshot{}, err
	}
	return s.snapshot(ctx, session, folder, name, "")
}

// snapshot takes the snapshot name under the session's lock and, when
// journalKey is set, notes that turn in the journal under the same lock.
func (s *Store) snapshot(ctx context.Context, session, folder, name, journalKey string) (Snapshot, error) {
	release, err := s.acquire(ctx, session)
	if err != nil {
		return Snapshot{}, err
	}
	defer release()
	sh, err := s.open(session, folder)
	if err != nil {
		return Snapshot{}, err
	}
	snap, err := sh.take(ctx, name)
	if err != nil || journalKey == "" {
		return snap, err
	}
	return snap, sh.note(journalKey)
}

// newest is the store's newest snapshot (its branch), "" before the
// first: read from the ref's file, as git keeps it (loose, never packed:
// the store runs no gc).
func (sh *shadow) newest() string {
	b, err := os.ReadFile(filepath.Join(sh.dir, "git", "refs", "heads", "snapshots"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// take stages what changed since the last snapshot into the store's
// index, writes the tree, and records it as a commit on the store's
// branch and under refs/checkpoints/<name>. Only the changes are read:
// one `git status` against the last snapshot finds them (the index
// keeps the stat data of every file), so the cost is a walk of the
// folder plus the changed files.
func (sh *shadow) take(ctx context.Context, name string) (Snapshot, error) {
	maxFile := sh.s.maxFile
	st, err := sh.git(ctx, nil, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--ignore-submodules=all")
	if err != nil {
		return Snapshot{}, err
	}
	var drop bytes.Buffer
	var add []string
	snap := Snapshot{At: time.Now().UTC().Truncate(time.Second)}
	for _, rec := range split0(st) {
		if len(rec) < 4 {
			continue
		}
		xy, path := rec[:2], rec[3:]
		switch {
		case xy == "??" && strings.HasSuffix(path, "/"):
			// A folder git lists whole although every file is asked
			// for: a repository of its own. git does not go in.
			snap.Nested = append(snap.Nested, strings.TrimSuffix(path, "/"))
		case xy[1] == 'D':
			// Forced: update-index refuses to look at a path whose
			// folder became a link, even to drop it.
			fmt.Fprintf(&drop, "%s\x00", path)
		case xy == "??" || xy[1] != ' ':
			fi, err := os.Lstat(filepath.Join(sh.folder, filepath.FromSlash(path)))
			if err == nil && fi.Mode().IsRegular() && fi.Size() > maxFile {
				snap.Skipped = append(snap.Skipped, Skipped{Path: path, Size: fi.Size()})
				if xy != "??" {
					fmt.Fprintf(&drop, "%s\x00", path)
				}
				continue
			}
			add = append(add, path)
		}
	}
	parent := sh.newest()
	if parent != "" && len(st) == 0 {
		// Nothing changed since the last snapshot, which then had
		// nothing left out either (a file left out stays listed): the
		// same snapshot, with no other git process.
		sh.s.mu.Lock()
		prev, ok := sh.s.last[sh.session]
		sh.s.mu.Unlock()
		if !ok || prev.ID != parent {
			var err error
			if prev, err = sh.read(ctx, parent); err != nil {
				return Snapshot{}, err
			}
		}
		if len(prev.Skipped) == 0 && len(prev.Nested) == 0 {
			prev.At = snap.At
			return prev, sh.keep(name, prev.ID, false)
		}
	}
	// Drops first: a folder that became a file (or a link) is added
	// once the files it held are gone from the index.
	if drop.Len() > 0 {
		if _, err := sh.git(ctx, drop.Bytes(), "update-index", "-z", "--force-remove", "--stdin"); err != nil {
			return Snapshot{}, err
		}
	}
	if len(add) > bulkFiles {
		skipped, err := sh.bulkAdd(ctx, add, maxFile)
		if err != nil {
			return Snapshot{}, err
		}
		snap.Skipped = append(snap.Skipped, skipped...)
	} else if len(add) > 0 {
		in := strings.Join(add, "\x00") + "\x00"
		if _, err := sh.git(ctx, []byte(in), "update-index", "-z", "--add", "--remove", "--replace", "--stdin"); err != nil {
			return Snapshot{}, err
		}
	}
	tree, err := sh.git(ctx, nil, "write-tree")
	if err != nil {
		return Snapshot{}, err
	}
	msg, err := json.Marshal(struct {
		Skipped []Skipped `json:"skipped,omitempty"`
		Nested  []string  `json:"nested,omitempty"`
	}{snap.Skipped, snap.Nested})
	if err != nil {
		return Snapshot{}, fmt.Errorf("failed to write a checkpoint: %w", err)
	}
	args := []string{"commit-tree", strings.TrimSpace(string(tree))}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	commit, err := sh.gitAt(ctx, snap.At, append(msg, '\n'), append(args, "-F", "-")...)
	if err != nil {
		return Snapshot{}, err
	}
	snap.ID = strings.TrimSpace(string(commit))
	if err := sh.keep(name, snap.ID, true); err != nil {
		return Snapshot{}, err
	}
	sh.s.mu.Lock()
	sh.s.last[sh.session] = snap
	sh.s.mu.Unlock()
	return snap, nil
}

// gitAt is git with the commit dates set to at.
func (sh *shadow) gitAt(ctx context.Context, at time.Time, input []byte, args ...string) ([]byte, error) {
	date := strconv.FormatInt(at.Unix(), 10) + " +0000"
	env := append(append([]string(nil), sh.env...), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := worktree.RunOwn(ctx, sh.folder, env, input, args...)
	if err != nil {
		return nil, fmt.Errorf("failed to write a checkpoint: %w", err)
	}
	return out, nil
}

// keep points refs/checkpoints/<name> (and the store's branch when
// newest) at id. The refs are written as git keeps loose refs, a file
// each, made aside and renamed, which spares a git process per snapshot;
// the store is Konsole's alone.
func (sh *shadow) keep(name, id string, newest bool) error {
	refs := []string{ref(name)}
	if newest {
		refs = append(refs, "refs/heads/snapshots")
	}
	for _, r := range refs {
		p := filepath.Join(sh.dir, "git", filepath.FromSlash(r))
		err := os.MkdirAll(filepath.Dir(p), 0o700)
		if err == nil {
			tmp := p + ".new"
			if err = os.WriteFile(tmp, []byte(id+"\n"), 0o600); err == nil {
				err = os.Rename(tmp, p)
			}
		}
		if err != nil {
			return fmt.Errorf("failed to keep the checkpoint %s: %w", name, err)
		}
	}
	return nil
}

// Get returns the snapshot of session kept under name, or ErrNotFound.
func (s *Store) Get(ctx context.Context, session, name string) (Snapshot, error) {
	if err := checkName("the checkpoint name", name); err != nil {
		return Snapshot{}, err
	}
	if err := checkName("the session id", session); err != nil {
		return Snapshot{}, err
	}
	gd := filepath.Join(s.dir, session, "git")
	if _, err := os.Stat(filepath.Join(gd, "HEAD")); err != nil {
		return Snapshot{}, ErrNotFound
	}
	// Reading a commit needs no work tree and no gate: objects and refs
	// are written whole.
	sh := &shadow{dir: filepath.Join(s.dir, session), folder: gd, env: shadowEnv(gd, gd, filepath.Join(s.dir, session, "index"))}
	return sh.read(ctx, ref(name))
}

// read returns the snapshot commit rev names.
func (sh *shadow) read(ctx context.Context, rev string) (Snapshot, error) {
	id := rev
	if strings.HasPrefix(rev, "refs/") {
		// A ref of the store is a file (keep), read without a git.
		b, err := os.ReadFile(filepath.Join(sh.dir, "git", filepath.FromSlash(rev)))
		if err != nil {
			return Snapshot{}, ErrNotFound
		}
		id = strings.TrimSpace(string(b))
	}
	snap := Snapshot{ID: id}
	body, err := worktree.RunOwn(ctx, sh.folder, sh.env, nil, "cat-file", "commit", id)
	if err != nil {
		return Snapshot{}, ErrNotFound
	}
	head, msg, _ := strings.Cut(string(body), "\n\n")
	for _, l := range strings.Split(head, "\n") {
		if rest, ok := strings.CutPrefix(l, "committer "); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 {
				if sec, err := strconv.ParseInt(f[len(f)-2], 10, 64); err == nil {
					snap.At = time.Unix(sec, 0).UTC()
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(msg), &snap); err != nil {
		return Snapshot{}, fmt.Errorf("failed to read the checkpoint %s: %w", rev, err)
	}
	return snap, nil
}

// Remove deletes everything kept for session (its snapshots go with it).
func (s *Store) Remove(ctx context.Context, session string) error {
	if err := checkName("the session id", session); err != nil {
		return err
	}
	release, err := s.acquire(ctx, session)
	if err != nil {
		return err
	}
	defer release()
	if err := os.RemoveAll(filepath.Join(s.dir, session)); err != nil {
		return fmt.Errorf("failed to remove the checkpoints of session %s: %w", session, err)
	}
	s.mu.Lock()
	delete(s.gates, session)
	s.mu.Unlock()
	return nil
}

// Prune removes the stores of sessions keep does not name: sessions
// removed while Konsole was not running.
func (s *Store) Prune(ctx context.Context, keep func(session string) bool) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("failed to list the checkpoint folder: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() && safeName.MatchString(e.Name()) && !keep(e.Name()) {
			errs = append(errs, s.Remove(ctx, e.Name()))
		}
	}
	return errors.Join(errs...)
}

// split0 splits NUL-separated records.
func split0(b []byte) []string {
	var out []string
	for _, r := range bytes.Split(b, []byte{0}) {
		if len(r) > 0 {
			out = append(out, string(r))
		}
	}
	return out
}

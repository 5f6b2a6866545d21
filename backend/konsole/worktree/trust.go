package worktree

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// CodeRepoChanged is the refusal of a commit, merge or pull request when
// the repository's git config or hooks changed since the session was
// made: an agent that can write files may have written them.
const CodeRepoChanged = "repository_changed"

// Bounds of what Fingerprint reads of the hooks: a hooks folder larger
// than this is fingerprinted by its first files, and each file by its
// first bytes, which is enough to see an edit an agent makes.
const (
	maxHookFiles        = 2000
	maxHookBytes  int64 = 4 << 20
	maxConfigList int64 = 4 << 20
)

// Fingerprint hashes what the person's commit, merge and push run beside
// git itself: the repository's config as git reads it (every scope,
// included files too, and the worktree's own config), and every file of
// the hooks folders git would run hooks from for the worktree's checkout
// and for its repository's main checkout (core.hooksPath, relative to
// each, or the common folder's hooks/). Add records it in Worktree.Trust
// when the person makes the worktree, before the agent runs.
func Fingerprint(ctx context.Context, w Worktree) (string, error) {
	r, err := w.repo(ctx)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	// Reading the config runs no program; the settings Konsole adds
	// (profile own) are the same on every call.
	cfg, err := run(ctx, r.CommonDir, "--git-dir="+r.GitDir, "config", "--list", "-z", "--includes", "--show-origin")
	if err != nil && exitCode(err) != 1 {
		return "", fmt.Errorf("failed to read the repository's config: %w", err)
	}
	if int64(len(cfg)) > maxConfigList {
		cfg = cfg[:maxConfigList]
	}
	fmt.Fprintf(h, "config %d\x00", len(cfg))
	h.Write(cfg)
	hooksPath := ""
	// --show-origin -z: "origin\0key\nvalue\0"; Konsole's own settings
	// (origin "command line:") are not the person's git's.
	f := strings.Split(string(cfg), "\x00")
	for i := 0; i+1 < len(f); i += 2 {
		if k, v, ok := strings.Cut(f[i+1], "\n"); ok && f[i] != "command line:" && strings.EqualFold(k, "core.hooksPath") {
			hooksPath = v
		}
	}
	for _, dir := range hooksDirs(r, w.Repo, hooksPath) {
		fmt.Fprintf(h, "hooks %s\x00", dir)
		hashTree(h, dir)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hooksDirs are the folders git runs hooks from for the checkout of r
// and for the main checkout main: core.hooksPath (relative to where
// hooks run: each checkout's top) or the common folder's hooks/.
func hooksDirs(r Repository, main, hooksPath string) []string {
	if hooksPath == "" {
		return []string{filepath.Join(r.CommonDir, "hooks")}
	}
	if rest, ok := strings.CutPrefix(hooksPath, "~/"); ok {
		home, _ := os.UserHomeDir()
		return []string{filepath.Join(home, rest)}
	}
	if filepath.IsAbs(hooksPath) {
		return []string{filepath.Clean(hooksPath)}
	}
	dirs := []string{filepath.Join(r.WorkTree, hooksPath)}
	if main != "" && filepath.Clean(main) != r.WorkTree {
		dirs = append(dirs, filepath.Join(main, hooksPath))
	}
	return dirs
}

// hashTree writes into h every file under dir (followed through
// symlinks, as git runs them): path, mode and content, in order.
func hashTree(h io.Writer, dir string) {
	var paths []string
	// The walk function never fails the walk: what cannot be read is left
	// out of paths, and so changes the hash.
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && len(paths) < maxHookFiles {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(h, "%s missing\x00", p)
			continue
		}
		fmt.Fprintf(h, "%s %s %d\x00", p, st.Mode(), st.Size())
		if !st.Mode().IsRegular() {
			continue
		}
		if f, err := openRegular(p, true); err == nil {
			_, _ = io.Copy(h, io.LimitReader(f, maxHookBytes)) // a read that fails hashes short, which changes the hash
			f.Close()
		}
	}
}

// trusted refuses with CodeRepoChanged when the repository's config or
// hooks are not what the person had when the worktree was made (see
// Fingerprint): the person's commit, merge and push run them, and an
// agent may have written them since. A worktree kept without a
// fingerprint (made by an older Konsole) is refused the same way. The
// person confirms by recording the current fingerprint (Trust).
func trusted(ctx context.Context, w Worktree, action string) error {
	now, err := Fingerprint(ctx, w)
	if err != nil {
		return err
	}
	if w.Trust != "" && now == w.Trust {
		return nil
	}
	r, _ := w.repo(ctx)
	return errorf(CodeRepoChanged, "The git config or hooks of %s changed since this session started (an agent may have written %s or a hook); "+
		"%s would run them. Check them, then confirm to %s with them as they are now", w.Repo, filepath.Join(r.CommonDir, "config"), action, action)
}

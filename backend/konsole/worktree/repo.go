package worktree

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/konui/konui/backend/contract"
)

// Repository is where one checkout's git data is. It is decided once,
// from the folder the person chose (Locate), kept with the session, and
// from then on given to git explicitly: files an agent writes later (a
// .git file pointing elsewhere, HEAD, config, objects/ and refs/ in a
// plain folder or a subfolder) never change which repository Konsole
// reads or writes. The zero Repository is "not a repository".
//
// Its wire form is contract.Repository (a session's "git"): the two
// convert into each other.
type Repository contract.Repository

// Found says whether r names a repository.
func (r Repository) Found() bool { return r.GitDir != "" && r.CommonDir != "" && r.WorkTree != "" }

// Locate finds the repository that holds dir, the way git would, except
// that a bare layout (HEAD, config, objects/, refs/ in a folder not named
// .git) is never taken (safe.bareRepository=explicit): that is what an
// agent that can only edit files could make. Call it when the person
// chooses the folder, before an agent runs there, and keep the answer.
// It runs no program the repository names: rev-parse reads no index,
// hook or filter.
func Locate(ctx context.Context, dir string) (Repository, error) {
	out, err := run(ctx, dir, "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--show-toplevel")
	if err != nil {
		return Repository{}, errorf(CodeNotRepo, "%s is not inside a git repository", dir)
	}
	l := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(l) != 3 || l[2] == "" {
		return Repository{}, errorf(CodeNotRepo, "%s is not inside a git repository with a work tree", dir)
	}
	r := Repository{GitDir: filepath.Clean(l[0]), CommonDir: filepath.Clean(l[1]), WorkTree: filepath.Clean(l[2])}
	// core.worktree in the repository's config can name any folder as
	// its work tree: the reads and carry would then read another folder
	// (carry copied its files into the worktree the agent reads). The
	// repository is only the one whose work tree holds the folder chosen.
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return Repository{}, errorf(CodeNotRepo, "%s is not a folder: %v", dir, err)
	}
	if abs, err := filepath.Abs(real); err != nil || !within(r.WorkTree, abs) {
		return Repository{}, errorf(CodeNotRepo, "the repository of %s has its work tree at %s (core.worktree), outside the folder chosen", dir, r.WorkTree)
	}
	return r, nil
}

// within says whether p is dir or inside it (both absolute and clean).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// LocateWorktree finds the repository of a linked worktree made by Add
// from what a session kept before Repository existed: the person's
// repository and the worktree's folder. The worktree's own .git file is
// not read (the agent works there and can rewrite it): the admin folder
// is the one under the repository's worktrees/ whose gitdir names path.
func LocateWorktree(ctx context.Context, repo, path string) (Repository, error) {
	main, err := Locate(ctx, repo)
	if err != nil {
		return Repository{}, err
	}
	return checkoutOf(main.CommonDir, path)
}

// checkoutOf is the repository of one checkout of the repository whose
// common folder is common: its main checkout, or the linked worktree
// whose admin folder's gitdir file names path/.git. No file in the
// checkout is read.
func checkoutOf(common, path string) (Repository, error) {
	path = filepath.Clean(path)
	if filepath.Join(path, ".git") == common {
		return Repository{GitDir: common, CommonDir: common, WorkTree: path}, nil
	}
	want := filepath.Join(path, ".git")
	admins, _ := filepath.Glob(filepath.Join(common, "worktrees", "*", "gitdir"))
	for _, a := range admins {
		b, err := readSmall(a)
		if err == nil && filepath.Clean(strings.TrimSpace(string(b))) == want {
			return Repository{GitDir: filepath.Dir(a), CommonDir: common, WorkTree: path}, nil
		}
	}
	return Repository{}, errorf(CodeNotFound, "%s is not a checkout of the repository %s", path, common)
}

// repo is the worktree's repository: the one kept with it, or for a
// worktree an older Konsole made, found from the person's repository.
func (w Worktree) repo(ctx context.Context) (Repository, error) {
	if w.Git.Found() {
		return w.Git, nil
	}
	return LocateWorktree(ctx, w.Repo, w.Path)
}

// gitArgs puts the repository's folders in front of args, so that git
// discovers nothing.
func (r Repository) gitArgs(args ...string) []string {
	return append([]string{"--git-dir=" + r.GitDir, "--work-tree=" + r.WorkTree}, args...)
}

// commonArgs is gitArgs for commands on the repository as a whole
// (branches, worktrees): its common folder, no work tree.
func (r Repository) commonArgs(args ...string) []string {
	return append([]string{"--git-dir=" + r.CommonDir}, args...)
}

// maxRefFile bounds what is read of HEAD, a loose ref or a gitdir file.
const maxRefFile = 4 << 10

// readSmall reads at most maxRefFile bytes of a regular file (see
// openRegular).
func readSmall(p string) ([]byte, error) {
	f, err := openRegular(p, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxRefFile))
}

// resolve returns the commit a full ref name ("HEAD", "refs/heads/x")
// points at, read from the repository's files by Konsole itself: no git
// process reads the repository's config for it. Symbolic refs are
// followed a few steps; packed refs are read too.
func (r Repository) resolve(name string) (string, error) {
	for range 5 {
		v, err := r.readRef(name)
		if err != nil {
			return "", err
		}
		target, ok := strings.CutPrefix(v, "ref: ")
		if !ok {
			if !isHex(v) {
				return "", fmt.Errorf("failed to read %s: %q is not a commit", name, v)
			}
			return v, nil
		}
		name = strings.TrimSpace(target)
	}
	return "", fmt.Errorf("failed to read %s: too many symbolic refs", name)
}

// readRef reads one ref: its loose file, else its line in packed-refs.
func (r Repository) readRef(name string) (string, error) {
	if name != "HEAD" && (!strings.HasPrefix(name, "refs/") || strings.Contains(name, "..") || strings.Contains(name, "\\")) {
		return "", errorf(CodeBadName, "%q is not a ref name", name)
	}
	dir := r.CommonDir
	if name == "HEAD" || strings.HasPrefix(name, "refs/worktree/") || strings.HasPrefix(name, "refs/bisect/") || strings.HasPrefix(name, "refs/rewritten/") {
		dir = r.GitDir
	}
	if b, err := readSmall(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	f, err := openRegular(filepath.Join(r.CommonDir, "packed-refs"), false)
	if err != nil {
		return "", errorf(CodeNotFound, "%s does not exist", name)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sha, ref, ok := bytes.Cut(sc.Bytes(), []byte(" "))
		if ok && string(ref) == name {
			return string(sha), nil
		}
	}
	return "", errorf(CodeNotFound, "%s does not exist", name)
}

// isHex says whether s looks like an object name (SHA-1 or SHA-256).
func isHex(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

package worktree

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Worktree is a session's own checkout: the repository it came from, the
// worktree's folder, its branch and the base branch (or commit) it started
// from and merges into.
type Worktree struct {
	Repo   string `json:"repo"`
	Path   string `json:"path"`
	Branch string `json:"branch"`
	Base   string `json:"base"`
	// Git is the worktree's repository, decided when it was made; empty
	// for a worktree kept by an older Konsole (see LocateWorktree).
	Git Repository `json:"git"`
	// Trust is the Fingerprint of the repository's config and hooks the
	// person accepted: when the worktree was made, or when they last
	// confirmed a commit, merge or pull request after a change.
	Trust string `json:"trust,omitempty"`
}

// AddOptions says where and from what to make a worktree. Dir is any
// folder inside the repository; Root the folder the worktree goes under
// (Konsole's data folder); Name a short name for branch and folder. Base
// and Branch, when empty, are the repository's current branch (or HEAD's
// commit when detached) and "konui/<Name>".
type AddOptions struct {
	Dir    string
	Root   string
	Name   string
	Base   string
	Branch string
	// Carry copies the repository's uncommitted changes and new files
	// into the worktree (see carry).
	Carry bool
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// ShortName turns a title into a branch-friendly name: lower case letters
// and digits joined by "-", at most 30 characters, never empty.
func ShortName(title string) string {
	s := slug(title)
	if len(s) > 30 {
		s = strings.TrimRight(s[:30], "-")
	}
	if s == "" {
		s = "session"
	}
	return s
}

// slug is lower case letters and digits joined by "-", or "session".
func slug(s string) string {
	s = strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if s == "" {
		s = "session"
	}
	return s
}

// Add creates a new branch from the base and checks it out in a new
// worktree under Root. It refuses a taken branch name and a base or branch
// that is not a branch name git reads as refs/heads/<name>. It runs no
// hook, filter or fsmonitor of the repository: git makes the worktree
// without a checkout, and the files are written by git with no config of
// the repository (see scratch).
func Add(ctx context.Context, o AddOptions) (Worktree, error) {
	main, err := Locate(ctx, o.Dir)
	if err != nil {
		return Worktree{}, err
	}
	repo := main.WorkTree
	base, baseRev, err := pickBase(ctx, main, o.Base)
	if err != nil {
		return Worktree{}, err
	}
	if err := present(ctx, main, base, baseRev); err != nil {
		return Worktree{}, err
	}
	branch := o.Branch
	if branch == "" {
		branch = "konui/" + slug(o.Name)
	}
	if err := checkBranch(ctx, main, "branch", branch); err != nil {
		return Worktree{}, err
	}
	if _, err := main.resolve("refs/heads/" + branch); err == nil {
		return Worktree{}, errorf(CodeBranchTaken, "the branch %q already exists in %s; choose another name", branch, repo)
	}
	dir := filepath.Join(o.Root, "worktrees", ShortName(filepath.Base(repo))+"-"+slug(o.Name))
	if _, err := os.Stat(dir); err == nil {
		return Worktree{}, errorf(CodeBranchTaken, "the folder %s already exists; choose another name", dir)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return Worktree{}, fmt.Errorf("failed to create the worktrees folder: %w", err)
	}
	if _, err := run(ctx, repo, main.commonArgs("worktree", "add", "-q", "--no-checkout", "-b", branch, "--", dir, baseRev)...); err != nil {
		return Worktree{}, errorf(CodeGit, "failed to add a worktree for %s: %v", repo, err)
	}
	w := Worktree{Repo: repo, Path: dir, Branch: branch, Base: base}
	if err := populate(ctx, main, &w, o.Carry); err != nil {
		remove(ctx, w, main)
		return Worktree{}, err
	}
	if w.Trust, err = Fingerprint(ctx, w); err != nil {
		remove(ctx, w, main)
		return Worktree{}, err
	}
	return w, nil
}

// pickBase is the base the worktree starts from and merges into: the
// named branch, else the repository's current branch, else its HEAD
// commit when detached. rev is what git gets: the full ref or the commit.
func pickBase(ctx context.Context, main Repository, name string) (base, rev string, err error) {
	if name == "" {
		head, err := main.readRef("HEAD")
		if target, ok := strings.CutPrefix(head, "ref: refs/heads/"); err == nil && ok {
			if _, err := main.resolve("refs/heads/" + target); err == nil {
				return target, "refs/heads/" + target, nil
			}
		}
		sha, err := main.resolve("HEAD")
		if err != nil {
			return "", "", errorf(CodeNotRepo, "the repository %s has no commit yet to start a branch from", main.WorkTree)
		}
		return sha, sha, nil
	}
	if err := checkBranch(ctx, main, "base branch", name); err != nil {
		return "", "", err
	}
	if _, err := main.resolve("refs/heads/" + name); err != nil {
		return "", "", errorf(CodeNotFound, "the base %q is not a branch of %s", name, main.WorkTree)
	}
	return name, "refs/heads/" + name, nil
}

// present checks that the base's commit and its tree are in the
// repository, read in a scratch folder (which knows no remote): git
// worktree add would otherwise fetch a partial clone's missing commit
// from the remote its config names, with the programs it names (an
// agent at the top of a repository can write that config and a branch
// at a missing commit).
func present(ctx context.Context, main Repository, base, rev string) error {
	sha := rev
	if strings.HasPrefix(rev, "refs/") {
		var err error
		if sha, err = main.resolve(rev); err != nil {
			return errorf(CodeNotFound, "the base %q is not a branch of %s", base, main.WorkTree)
		}
	}
	s, err := openScratch(ctx, main)
	if err != nil {
		return err
	}
	defer s.close()
	if _, err := s.run(ctx, "cat-file", "-e", sha+"^{tree}"); err != nil {
		return errorf(CodeNotFound, "the commit %s of the base %q is not in %s (a partial or damaged clone?); nothing is fetched for it", sha, base, main.WorkTree)
	}
	return nil
}

// populate writes the new worktree's files and index from its branch,
// then carries the repository's uncommitted work over when asked, and
// records the worktree's repository in w.
func populate(ctx context.Context, main Repository, w *Worktree, carryWork bool) error {
	wr, err := Locate(ctx, w.Path)
	if err != nil || wr.CommonDir != main.CommonDir {
		return errorf(CodeGit, "failed to find the new worktree %s in %s", w.Path, main.WorkTree)
	}
	w.Git = wr
	s, err := openScratch(ctx, wr)
	if err != nil {
		return err
	}
	defer s.close()
	cmd := s.command(ctx, "read-tree", "-u", "--reset", s.head)
	cmd.Env = append(cmd.Env, "GIT_INDEX_FILE="+filepath.Join(wr.GitDir, "index"))
	out := &capped{limit: 16 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Start()
	if err == nil {
		err = wait(ctx, cmd)
	}
	if err != nil {
		return errorf(CodeGit, "failed to check out %s in %s: %v: %s", w.Branch, w.Path, err, strings.TrimSpace(out.String()))
	}
	if carryWork {
		return carry(ctx, main, s, w.Base)
	}
	return nil
}

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

// Repo returns the top folder of the repository that holds dir.
func Repo(ctx context.Context, dir string) (string, error) {
	top, err := line(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil || top == "" {
		return "", errorf(CodeNotRepo, "%s is not inside a git repository", dir)
	}
	return filepath.Clean(top), nil
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
// that is not a valid name.
func Add(ctx context.Context, o AddOptions) (Worktree, error) {
	repo, err := Repo(ctx, o.Dir)
	if err != nil {
		return Worktree{}, err
	}
	base := o.Base
	if base == "" {
		if base, err = line(ctx, repo, "symbolic-ref", "--short", "-q", "HEAD"); err != nil || base == "" {
			if base, err = line(ctx, repo, "rev-parse", "--verify", "-q", "HEAD"); err != nil || base == "" {
				return Worktree{}, errorf(CodeNotRepo, "the repository %s has no commit yet to start a branch from", repo)
			}
		}
	} else if err := checkName(ctx, "base branch", base); err != nil {
		return Worktree{}, err
	}
	if _, err := run(ctx, repo, "rev-parse", "--verify", "-q", "--end-of-options", base+"^{commit}"); err != nil {
		return Worktree{}, errorf(CodeNotFound, "the base %q is not a branch or commit of %s", base, repo)
	}
	branch := o.Branch
	if branch == "" {
		branch = "konui/" + slug(o.Name)
	}
	if err := checkName(ctx, "branch", branch); err != nil {
		return Worktree{}, err
	}
	if _, err := run(ctx, repo, "rev-parse", "--verify", "-q", "refs/heads/"+branch); err == nil {
		return Worktree{}, errorf(CodeBranchTaken, "the branch %q already exists in %s; choose another name", branch, repo)
	}
	dir := filepath.Join(o.Root, "worktrees", ShortName(filepath.Base(repo))+"-"+slug(o.Name))
	if _, err := os.Stat(dir); err == nil {
		return Worktree{}, errorf(CodeBranchTaken, "the folder %s already exists; choose another name", dir)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return Worktree{}, fmt.Errorf("failed to create the worktrees folder: %w", err)
	}
	if _, err := run(ctx, repo, "worktree", "add", "-b", branch, "--", dir, base); err != nil {
		return Worktree{}, errorf(CodeGit, "failed to add a worktree for %s: %v", repo, err)
	}
	w := Worktree{Repo: repo, Path: dir, Branch: branch, Base: base}
	if o.Carry {
		if err := carry(ctx, repo, dir, base); err != nil {
			remove(ctx, w)
			return Worktree{}, err
		}
	}
	return w, nil
}

package worktree

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// Commit is one commit: its hash and subject line.
type Commit struct {
	SHA     string `json:"sha"`
	Subject string `json:"subject"`
}

// CommitAll stages every change in the worktree (new, changed and removed
// files) and commits it with message. It returns the new commit.
func CommitAll(ctx context.Context, w Worktree, message string) (Commit, error) {
	message = strings.TrimSpace(message)
	if message == "" {
		return Commit{}, errorf(CodeBadName, "a commit message is required")
	}
	if _, err := run(ctx, w.Path, "add", "-A", "--", "."); err != nil {
		return Commit{}, fmt.Errorf("failed to stage the changes: %w", err)
	}
	if _, err := run(ctx, w.Path, "diff", "--cached", "--quiet"); err == nil {
		return Commit{}, errorf(CodeNothing, "there is nothing to commit in %s", w.Path)
	}
	if _, err := run(ctx, w.Path, "commit", "-q", "-m", message); err != nil {
		return Commit{}, errorf(CodeGit, "failed to commit: %v", err)
	}
	sha, _ := line(ctx, w.Path, "rev-parse", "HEAD")
	subject, _, _ := strings.Cut(message, "\n")
	return Commit{SHA: sha, Subject: subject}, nil
}

// Unmerged lists the commits of the worktree's branch that its base does
// not have, newest first.
func Unmerged(ctx context.Context, w Worktree) ([]Commit, error) {
	out, err := run(ctx, w.Repo, "log", "--format=%H%x00%s", "--end-of-options", w.Base+".."+w.Branch)
	if err != nil {
		return nil, fmt.Errorf("failed to list unmerged commits: %w", err)
	}
	commits := []Commit{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if sha, subject, ok := strings.Cut(l, "\x00"); ok {
			commits = append(commits, Commit{SHA: sha, Subject: subject})
		}
	}
	return commits, nil
}

// Dirty lists the uncommitted changes of a checkout, as `git status` paths.
func Dirty(ctx context.Context, dir string) ([]string, error) {
	out, err := run(ctx, dir, "status", "--porcelain", "-z", "--untracked-files=all")
	if err != nil {
		return nil, fmt.Errorf("failed to read the status of %s: %w", dir, err)
	}
	var paths []string
	f := split0(out)
	for i := 0; i < len(f); i++ {
		if len(f[i]) > 3 {
			paths = append(paths, f[i][3:])
			if f[i][0] == 'R' || f[i][0] == 'C' {
				i++
			}
		}
	}
	return paths, nil
}

// MergeResult says how a merge went: "fast-forward", "merge-commit" or
// "up-to-date", and the base's new head.
type MergeResult struct {
	Result string `json:"result"`
	Head   string `json:"head"`
}

// Merge brings the worktree's branch into its base: a fast-forward when
// the base has not moved, else a merge commit. It works out the merge
// without touching any checkout (git merge-tree), so a conflict changes
// nothing and comes back as CodeConflict with the files. The worktree
// must be committed; a checkout of the base must be clean.
func Merge(ctx context.Context, w Worktree) (MergeResult, error) {
	if dirty, err := Dirty(ctx, w.Path); err != nil {
		return MergeResult{}, err
	} else if len(dirty) > 0 {
		return MergeResult{}, &Error{Code: CodeDirty, Files: dirty, Message: fmt.Sprintf(
			"The worktree has uncommitted changes (%s); commit or discard them before merging", strings.Join(clip(dirty), ", "))}
	}
	baseRef := "refs/heads/" + w.Base
	oldBase, err := line(ctx, w.Repo, "rev-parse", "--verify", "-q", baseRef)
	if err != nil {
		return MergeResult{}, errorf(CodeNotFound, "the base %q is not a branch of %s; only a branch can be merged into", w.Base, w.Repo)
	}
	tip, err := line(ctx, w.Repo, "rev-parse", "--verify", "-q", "refs/heads/"+w.Branch)
	if err != nil {
		return MergeResult{}, errorf(CodeNotFound, "the branch %q no longer exists", w.Branch)
	}
	if _, err := run(ctx, w.Repo, "merge-base", "--is-ancestor", tip, oldBase); err == nil {
		return MergeResult{Result: "up-to-date", Head: oldBase}, nil
	}
	result, newHead := "fast-forward", tip
	if _, err := run(ctx, w.Repo, "merge-base", "--is-ancestor", oldBase, tip); err != nil {
		out, err := run(ctx, w.Repo, "merge-tree", "--write-tree", "--name-only", "--no-messages", oldBase, tip)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if exitCode(err) == 1 {
			return MergeResult{}, &Error{Code: CodeConflict, Files: lines[1:], Message: fmt.Sprintf(
				"Merging %s into %s conflicts in %s; nothing was changed", w.Branch, w.Base, strings.Join(clip(lines[1:]), ", "))}
		}
		if err != nil {
			return MergeResult{}, fmt.Errorf("failed to merge: %w", err)
		}
		msg := fmt.Sprintf("Merge branch '%s' into %s", w.Branch, w.Base)
		if newHead, err = line(ctx, w.Repo, "commit-tree", lines[0], "-p", oldBase, "-p", tip, "-m", msg); err != nil {
			return MergeResult{}, errorf(CodeGit, "failed to write the merge commit: %v", err)
		}
		result = "merge-commit"
	}
	if err := moveBase(ctx, w, baseRef, oldBase, newHead); err != nil {
		return MergeResult{}, err
	}
	return MergeResult{Result: result, Head: newHead}, nil
}

// moveBase points the base branch at newHead. Where the base is checked
// out, that checkout must be clean and is fast-forwarded with it.
func moveBase(ctx context.Context, w Worktree, baseRef, oldBase, newHead string) error {
	checkout, err := checkedOut(ctx, w.Repo, baseRef)
	if err != nil {
		return err
	}
	if checkout == "" {
		if _, err := run(ctx, w.Repo, "update-ref", baseRef, newHead, oldBase); err != nil {
			return errorf(CodeGit, "failed to move %s: %v", w.Base, err)
		}
		return nil
	}
	if dirty, err := Dirty(ctx, checkout); err != nil {
		return err
	} else if len(dirty) > 0 {
		return &Error{Code: CodeDirty, Files: dirty, Message: fmt.Sprintf(
			"%s has %s checked out with uncommitted changes (%s); commit or stash them, then merge again; nothing was changed",
			checkout, w.Base, strings.Join(clip(dirty), ", "))}
	}
	if _, err := run(ctx, checkout, "merge", "-q", "--ff-only", newHead); err != nil {
		return errorf(CodeGit, "failed to bring %s up to the merge: %v", checkout, err)
	}
	return nil
}

// checkedOut returns the checkout that has ref checked out, or "".
func checkedOut(ctx context.Context, repo, ref string) (string, error) {
	out, err := run(ctx, repo, "worktree", "list", "--porcelain", "-z")
	if err != nil {
		return "", fmt.Errorf("failed to list worktrees: %w", err)
	}
	var path string
	for _, f := range strings.Split(string(out), "\x00") {
		switch {
		case strings.HasPrefix(f, "worktree "):
			path = strings.TrimPrefix(f, "worktree ")
		case f == "branch "+ref:
			return filepath.Clean(path), nil
		}
	}
	return "", nil
}

// Check refuses with CodeUnmerged, naming them, when the worktree has
// commits its base does not have or uncommitted files: what a discard
// would lose.
func Check(ctx context.Context, w Worktree) error {
	commits, err := Unmerged(ctx, w)
	if err != nil {
		return err
	}
	dirty, _ := Dirty(ctx, w.Path)
	if len(commits) == 0 && len(dirty) == 0 {
		return nil
	}
	var names []string
	for _, c := range commits {
		names = append(names, c.SHA[:min(7, len(c.SHA))]+" "+c.Subject)
	}
	return &Error{Code: CodeUnmerged, Commits: commits, Files: dirty, Message: fmt.Sprintf(
		"Discarding %s loses %d unmerged commit(s) (%s) and %d uncommitted file(s); confirm to discard",
		w.Branch, len(commits), strings.Join(clip(names), "; "), len(dirty))}
}

// Discard removes the worktree and its branch. Unless confirmed it first
// runs Check and refuses when something would be lost.
func Discard(ctx context.Context, w Worktree, confirmed bool) error {
	if !confirmed {
		if err := Check(ctx, w); err != nil {
			return err
		}
	}
	if _, err := run(ctx, w.Repo, "worktree", "remove", "--force", "--", w.Path); err != nil {
		return errorf(CodeGit, "failed to remove the worktree %s: %v", w.Path, err)
	}
	if _, err := run(ctx, w.Repo, "branch", "-D", "--", w.Branch); err != nil {
		return errorf(CodeGit, "failed to delete the branch %s: %v", w.Branch, err)
	}
	return nil
}

// clip keeps a list short enough for a sentence.
func clip(s []string) []string {
	if len(s) > 10 {
		return append(s[:10:10], fmt.Sprintf("and %d more", len(s)-10))
	}
	return s
}

package worktree

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	r, err := w.repo(ctx)
	if err != nil {
		return Commit{}, err
	}
	if err := trusted(ctx, w, "commit"); err != nil {
		return Commit{}, err
	}
	// The person's action: git add and git commit run as they would in a
	// terminal (the repository's hooks and filters included), but only in
	// the repository kept with the worktree, never one its files name.
	if err := stageAll(ctx, r); err != nil {
		return Commit{}, err
	}
	if _, err := runAs(ctx, person, r.WorkTree, nil, r.gitArgs("diff", "--cached", "--quiet", "--no-ext-diff")...); err == nil {
		return Commit{}, errorf(CodeNothing, "there is nothing to commit in %s", w.Path)
	}
	if _, err := runAs(ctx, person, r.WorkTree, nil, r.gitArgs("commit", "-q", "-m", message)...); err != nil {
		return Commit{}, errorf(CodeGit, "failed to commit: %v", err)
	}
	sha, _ := r.resolve("HEAD")
	subject, _, _ := strings.Cut(message, "\n")
	return Commit{SHA: sha, Subject: subject}, nil
}

// stageAll is the person's git add -A in r, except that nested
// repositories (submodules, folders with a .git of their own an agent may
// have made) are recorded at the commit their HEAD names by Konsole and
// kept out of git add, which would run git status in each, with that
// repository's own config (see nestedEntries). One with no commit yet is
// refused by name.
func stageAll(ctx context.Context, r Repository) error {
	var lists [2][]string
	for i, args := range [][]string{{"ls-files", "-s", "-z"}, {"ls-files", "-o", "--exclude-standard", "-z"}} {
		out, err := run(ctx, r.WorkTree, r.gitArgs(args...)...)
		if err != nil {
			return fmt.Errorf("failed to stage the changes: %w", err)
		}
		lists[i] = split0(out)
	}
	head, _ := r.resolve("HEAD")
	if head == "" {
		head = strings.Repeat("0", 40)
	}
	info, paths, unborn := nestedEntries(r.WorkTree, lists[0], lists[1], len(head))
	if len(unborn) > 0 {
		return &Error{Code: CodeDirty, Files: unborn, Message: fmt.Sprintf(
			"%s has a git repository of its own with no commit (%s); commit in it or remove its .git, then commit again", r.WorkTree, strings.Join(clip(unborn), ", "))}
	}
	args := r.gitArgs("add", "-A", "--", ".")
	for _, p := range paths {
		args = append(args, ":(exclude,literal)"+p)
	}
	if _, err := runAs(ctx, person, r.WorkTree, nil, args...); err != nil {
		return fmt.Errorf("failed to stage the changes: %w", err)
	}
	if info.Len() > 0 {
		if _, err := runAs(ctx, person, r.WorkTree, info.Bytes(), r.gitArgs("update-index", "-z", "--index-info")...); err != nil {
			return fmt.Errorf("failed to record the nested repositories: %w", err)
		}
	}
	return nil
}

// Unmerged lists the commits of the worktree's branch that its base does
// not have, newest first. Both are full refs (refs/heads/<name>, or the
// base's commit), so a name git would read otherwise ("@" is HEAD) never
// hides a commit. It reads in a scratch folder: nothing the repository
// names runs.
func Unmerged(ctx context.Context, w Worktree) ([]Commit, error) {
	r, err := w.repo(ctx)
	if err != nil {
		return nil, err
	}
	s, err := openScratch(ctx, r)
	if err != nil {
		return nil, err
	}
	defer s.close()
	base, err := s.commit(w.Base)
	if err != nil {
		return nil, err
	}
	tip, err := r.resolve("refs/heads/" + w.Branch)
	if err != nil {
		return nil, errorf(CodeNotFound, "the branch %q no longer exists", w.Branch)
	}
	out, err := s.run(ctx, "log", "--no-show-signature", "--format=%H%x00%s", base+".."+tip, "--")
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

// Dirty lists the uncommitted changes of a checkout (changed, new and
// removed files), read like List: nothing the repository names runs and
// nothing is written into it.
func Dirty(ctx context.Context, r Repository) ([]string, error) {
	s, err := openScratch(ctx, r)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.stage(ctx); err != nil {
		return nil, err
	}
	out, err := s.run(ctx, append(diffArgs, "--name-only", "-z", s.head, "--")...)
	if err != nil {
		return nil, fmt.Errorf("failed to read the status of %s: %w", r.WorkTree, err)
	}
	return split0(out), nil
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
	r, err := w.repo(ctx)
	if err != nil {
		return MergeResult{}, err
	}
	if err := trusted(ctx, w, "merge"); err != nil {
		return MergeResult{}, err
	}
	// The person's action: merge-tree, commit-tree and update-ref run with
	// the repository's config and hooks, in the repository kept with the
	// worktree.
	git := func(args ...string) ([]byte, error) {
		return runAs(ctx, person, r.CommonDir, nil, r.commonArgs(args...)...)
	}
	if dirty, err := Dirty(ctx, r); err != nil {
		return MergeResult{}, err
	} else if len(dirty) > 0 {
		return MergeResult{}, &Error{Code: CodeDirty, Files: dirty, Message: fmt.Sprintf(
			"The worktree has uncommitted changes (%s); commit or discard them before merging", strings.Join(clip(dirty), ", "))}
	}
	baseRef := "refs/heads/" + w.Base
	oldBase, err := r.resolve(baseRef)
	if err != nil {
		return MergeResult{}, errorf(CodeNotFound, "the base %q is not a branch of %s; only a branch can be merged into", w.Base, w.Repo)
	}
	tip, err := r.resolve("refs/heads/" + w.Branch)
	if err != nil {
		return MergeResult{}, errorf(CodeNotFound, "the branch %q no longer exists", w.Branch)
	}
	if _, err := git("merge-base", "--is-ancestor", tip, oldBase); err == nil {
		return MergeResult{Result: "up-to-date", Head: oldBase}, nil
	}
	result, newHead := "fast-forward", tip
	if _, err := git("merge-base", "--is-ancestor", oldBase, tip); err != nil {
		out, err := git("merge-tree", "--write-tree", "--name-only", "--no-messages", oldBase, tip)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if exitCode(err) == 1 {
			return MergeResult{}, &Error{Code: CodeConflict, Files: lines[1:], Message: fmt.Sprintf(
				"Merging %s into %s conflicts in %s; nothing was changed", w.Branch, w.Base, strings.Join(clip(lines[1:]), ", "))}
		}
		if err != nil {
			return MergeResult{}, fmt.Errorf("failed to merge: %w", err)
		}
		msg := fmt.Sprintf("Merge branch '%s' into %s", w.Branch, w.Base)
		out, err = git("commit-tree", lines[0], "-p", oldBase, "-p", tip, "-m", msg)
		if newHead = strings.TrimSpace(string(out)); err != nil || !isHex(newHead) {
			return MergeResult{}, errorf(CodeGit, "failed to write the merge commit: %v", err)
		}
		result = "merge-commit"
	}
	if err := moveBase(ctx, w, r, baseRef, oldBase, newHead); err != nil {
		return MergeResult{}, err
	}
	return MergeResult{Result: result, Head: newHead}, nil
}

// moveBase points the base branch at newHead. Where the base is checked
// out, that checkout must be clean and is fast-forwarded with it.
func moveBase(ctx context.Context, w Worktree, r Repository, baseRef, oldBase, newHead string) error {
	checkout, err := checkedOut(ctx, r, baseRef)
	if err != nil {
		return err
	}
	if checkout == "" {
		if _, err := runAs(ctx, person, r.CommonDir, nil, r.commonArgs("update-ref", baseRef, newHead, oldBase)...); err != nil {
			return errorf(CodeGit, "failed to move %s: %v", w.Base, err)
		}
		return nil
	}
	co, err := checkoutOf(r.CommonDir, checkout)
	if err != nil {
		return err
	}
	if dirty, err := Dirty(ctx, co); err != nil {
		return err
	} else if len(dirty) > 0 {
		return &Error{Code: CodeDirty, Files: dirty, Message: fmt.Sprintf(
			"%s has %s checked out with uncommitted changes (%s); commit or stash them, then merge again; nothing was changed",
			checkout, w.Base, strings.Join(clip(dirty), ", "))}
	}
	if _, err := runAs(ctx, person, co.WorkTree, nil, co.gitArgs("merge", "-q", "--ff-only", newHead)...); err != nil {
		return errorf(CodeGit, "failed to bring %s up to the merge: %v", checkout, err)
	}
	return nil
}

// checkedOut returns the checkout that has ref checked out, or "".
func checkedOut(ctx context.Context, r Repository, ref string) (string, error) {
	out, err := run(ctx, r.CommonDir, r.commonArgs("worktree", "list", "--porcelain", "-z")...)
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
	// Fail closed: what cannot be read may be lost.
	r, err := w.repo(ctx)
	if err != nil {
		return err
	}
	dirty, err := Dirty(ctx, r)
	if err != nil {
		return &Error{Code: CodeUnmerged, Commits: commits, Message: fmt.Sprintf(
			"Konsole could not check %s for uncommitted files (%v); discarding may lose them; confirm to discard", w.Path, err)}
	}
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
	common := w.Git.CommonDir
	if common == "" {
		main, err := Locate(ctx, w.Repo)
		if err != nil {
			return err
		}
		common = main.CommonDir
	}
	r := Repository{GitDir: common, CommonDir: common}
	// The agent works in the worktree and may have rewritten its .git
	// (a file naming another repository, a symlink, a folder): git would
	// refuse to remove a worktree whose .git does not point back. The
	// .git git made is written again first, from the admin folder that
	// names the worktree.
	if wr, err := checkoutOf(common, w.Path); err == nil && wr.GitDir != common {
		if err := repoint(w.Path, wr.GitDir); err != nil {
			return errorf(CodeGit, "failed to remove the worktree %s: %v", w.Path, err)
		}
	}
	if _, err := run(ctx, common, r.commonArgs("worktree", "remove", "--force", "--", w.Path)...); err != nil {
		return errorf(CodeGit, "failed to remove the worktree %s: %v", w.Path, err)
	}
	if _, err := run(ctx, common, r.commonArgs("branch", "-D", "--", w.Branch)...); err != nil {
		return errorf(CodeGit, "failed to delete the branch %s: %v", w.Branch, err)
	}
	return nil
}

// repoint makes dir/.git the file git writes for a linked worktree,
// naming its admin folder gitDir, whatever was there (never followed).
func repoint(dir, gitDir string) error {
	p := filepath.Join(dir, ".git")
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("failed to remove %s: %w", p, err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", p, err)
	}
	_, err = f.WriteString("gitdir: " + gitDir + "\n")
	return errors.Join(err, f.Close())
}

// clip keeps a list short enough for a sentence.
func clip(s []string) []string {
	if len(s) > 10 {
		return append(s[:10:10], fmt.Sprintf("and %d more", len(s)-10))
	}
	return s
}

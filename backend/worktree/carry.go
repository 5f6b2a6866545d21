package worktree

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// carry copies the repository's uncommitted work into a new worktree:
// changes to tracked files (staged or not, applied as a binary patch) and
// new files that are not ignored. The repository keeps its own copy. When
// the changes do not apply to the worktree's base it fails with CodeDirty.
func carry(ctx context.Context, repo, dir, base string) error {
	patch, err := run(ctx, repo, "diff", "--binary", "HEAD", "--")
	if err != nil {
		return fmt.Errorf("failed to read the uncommitted changes of %s: %w", repo, err)
	}
	if len(patch) > 0 {
		if _, err := runInput(ctx, dir, nil, patch, "apply", "--binary", "--whitespace=nowarn", "-"); err != nil {
			return &Error{Code: CodeDirty, Message: fmt.Sprintf(
				"the uncommitted changes in %s do not apply to %s (%v); commit or stash them, or start from the current branch",
				repo, base, err)}
		}
	}
	others, err := run(ctx, repo, "ls-files", "--others", "--exclude-standard", "-z", "--")
	if err != nil {
		return fmt.Errorf("failed to list the new files of %s: %w", repo, err)
	}
	for _, p := range split0(others) {
		if err := copyFile(filepath.Join(repo, p), filepath.Join(dir, p)); err != nil {
			return fmt.Errorf("failed to carry %s over: %w", p, err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	fi, err := os.Lstat(from)
	if err != nil || !fi.Mode().IsRegular() {
		return err // a symlink or special file stays behind
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, b, fi.Mode().Perm())
}

// remove undoes Add: the worktree and its new branch go.
func remove(ctx context.Context, w Worktree) {
	run(ctx, w.Repo, "worktree", "remove", "--force", "--", w.Path)
	run(ctx, w.Repo, "branch", "-D", "--", w.Branch)
}

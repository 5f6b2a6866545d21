package worktree

import (
	"context"
	"fmt"
	"strings"
)

// carry copies the repository's uncommitted work into a new worktree:
// changes to tracked files (staged or not) and new files that are not
// ignored, as one binary patch streamed from git to git (never held
// whole in memory). The repository keeps its own copy. Both sides run in
// scratch folders: no filter, hook or fsmonitor of the repository runs,
// nothing is written into the repository, and git apply refuses a file
// whose folder is a symlink in the worktree ("beyond a symbolic link"),
// so nothing lands outside it. When the changes do not apply to the
// worktree's base it fails with CodeDirty.
func carry(ctx context.Context, main Repository, into *scratch, base string) error {
	from, err := openScratch(ctx, main)
	if err != nil {
		return err
	}
	defer from.close()
	if err := from.stage(ctx); err != nil {
		return fmt.Errorf("failed to read the uncommitted changes of %s: %w", main.WorkTree, err)
	}
	patch, err := from.stream(ctx, append(diffArgs, "--binary", "--full-index", from.head, "--")...)
	if err != nil {
		return fmt.Errorf("failed to read the uncommitted changes of %s: %w", main.WorkTree, err)
	}
	apply := into.command(ctx, "apply", "--binary", "--allow-empty", "--whitespace=nowarn", "-")
	apply.Stdin = patch
	errb := &capped{limit: 16 << 10}
	apply.Stdout, apply.Stderr = errb, errb
	aerr := apply.Start()
	if aerr == nil {
		aerr = wait(ctx, apply)
	}
	if perr := patch.close(aerr != nil); perr != nil && aerr == nil {
		return fmt.Errorf("failed to read the uncommitted changes of %s: %w", main.WorkTree, perr)
	}
	if aerr != nil {
		return &Error{Code: CodeDirty, Message: fmt.Sprintf(
			"the uncommitted changes in %s do not apply to %s (%s); commit or stash them, or start from the current branch",
			main.WorkTree, base, strings.TrimSpace(errb.String()))}
	}
	return nil
}

// remove undoes Add: the worktree and its new branch go.
// Best effort, on the way out of a reported error: what stays shows in
// git worktree list and git branch.
func remove(ctx context.Context, w Worktree, main Repository) {
	_, _ = run(ctx, main.WorkTree, main.commonArgs("worktree", "remove", "--force", "--", w.Path)...)
	_, _ = run(ctx, main.WorkTree, main.commonArgs("branch", "-D", "--", w.Branch)...)
}

package worktree

import (
	"context"
	"os/exec"
)

// Own git for other packages of Konsole that keep a git store of their
// own outside the person's repository (the checkpoint store): the same
// hardened git as Konsole's own reads here, so that a repository's
// hooks, fsmonitor, filters, credential helpers and network never run.
// The caller names its store and work tree in extra (GIT_DIR,
// GIT_WORK_TREE, GIT_INDEX_FILE, ...), appended to the profile's
// environment; extra must not set GIT_CONFIG_* (the profile's settings
// live there).

// RunOwn runs git with args in dir as Konsole's own call (no hook, no
// fsmonitor, no network, no credential helper, no GIT_ variable of
// Konsole's environment), with extra added to its environment and input
// on its standard input, and returns its standard output. A failure of
// git's own carries its exit code and what it said on standard error.
func RunOwn(ctx context.Context, dir string, extra []string, input []byte, args ...string) ([]byte, error) {
	return runEnv(ctx, append(own.env(), extra...), dir, input, args...)
}

// OwnCommand is git with args in dir as Konsole's own call (see RunOwn),
// in a process group of its own that is killed when ctx ends, for a
// caller that streams its input or output (cat-file --batch). The caller
// starts it and must call WaitOwn.
func OwnCommand(ctx context.Context, dir string, extra []string, args ...string) *exec.Cmd {
	return command(ctx, dir, append(own.env(), extra...), "git", args...)
}

// WaitOwn waits for cmd from OwnCommand and kills what is left of its
// process group when it was stopped or left its output open.
func WaitOwn(ctx context.Context, cmd *exec.Cmd) error { return wait(ctx, cmd) }

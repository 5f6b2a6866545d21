package worktree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// Error codes of the package. Callers map them to HTTP statuses.
const (
	CodeNotRepo     = "not_a_repository"
	CodeBadName     = "bad_name"
	CodeBadPath     = "bad_path"
	CodeBranchTaken = "branch_taken"
	CodeDirty       = "dirty"
	CodeConflict    = "merge_conflict"
	CodeUnmerged    = "unmerged_commits"
	CodeNothing     = "nothing_to_commit"
	CodeNotFound    = "not_found"
	CodeGit         = "git_failed"
)

// Error is a failure the user can act on. Files names the conflicting
// files of a merge; Commits the unmerged commits a discard would lose.
type Error struct {
	Code    string
	Message string
	Files   []string
	Commits []Commit
}

func (e *Error) Error() string { return e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err when it is an *Error, else CodeGit.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeGit
}

// Timeout bounds one git call.
var Timeout = 60 * time.Second

// gitError is git's own failure: its exit code and what it said.
type gitError struct {
	args   []string
	code   int
	stderr string
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.stderr)
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", e.code)
	}
	return fmt.Sprintf("git %s: %s", e.args[0], msg)
}

// run runs git in dir with args and returns its standard output. The
// environment keeps git from asking questions or reading the user's
// terminal; the caller's locale does not change git's messages.
func run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return runEnv(ctx, dir, nil, args...)
}

// runEnv is run with more environment variables.
func runEnv(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	return runInput(ctx, dir, env, nil, args...)
}

// runInput is runEnv with input on git's standard input.
func runInput(ctx context.Context, dir string, env []string, input []byte, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	if input != nil {
		cmd.Stdin = bytes.NewReader(input)
	}
	cmd.Env = append(baseEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.Bytes(), &gitError{args: args, code: ee.ExitCode(), stderr: errb.String()}
		}
		return nil, fmt.Errorf("failed to run git %s: %w", args[0], err)
	}
	return out.Bytes(), nil
}

// baseEnv is Konsole's environment without any GIT_ variable (a
// GIT_DIR, GIT_EXTERNAL_DIFF or GIT_CONFIG_PARAMETERS there would choose
// the repository or name a program), with git kept from asking questions
// or reading the user's terminal; the locale does not change git's
// messages.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	return append(env, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_OPTIONAL_LOCKS=0")
}

// exitCode is git's exit code in err, or -1 when err is not git's own.
func exitCode(err error) int {
	var ge *gitError
	if errors.As(err, &ge) {
		return ge.code
	}
	return -1
}

// line runs git and returns its output's first line, trimmed.
func line(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := run(ctx, dir, args...)
	if err != nil {
		return "", err
	}
	s, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(s), nil
}

// pseudoRef matches the names git reads from the repository's own folder
// before any branch (HEAD, FETCH_HEAD, ORIG_HEAD, MERGE_HEAD...).
var pseudoRef = regexp.MustCompile(`^[A-Z_-]*HEAD$`)

// checkBranch refuses a branch or base name that git could take for an
// option, that is not a valid branch name, or that git resolves to
// anything but refs/heads/<name>: "@" (HEAD), "@{-1}", "HEAD",
// "FETCH_HEAD", "refs/...", or a name a tag or a file in the repository's
// folder shadows. Those would make a later check (git log base..branch)
// compare something else than the branches, and lose commits.
func checkBranch(ctx context.Context, r Repository, what, name string) error {
	if name == "" {
		return errorf(CodeBadName, "the %s name is empty", what)
	}
	if strings.HasPrefix(name, "-") {
		return errorf(CodeBadName, "the %s name %q starts with \"-\"; git would read it as an option", what, name)
	}
	if name == "@" || strings.Contains(name, "@{") || pseudoRef.MatchString(name) || strings.HasPrefix(name, "refs/") {
		return errorf(CodeBadName, "%q is not a %s name: git reads it as something else than the branch refs/heads/%s", name, what, name)
	}
	if _, err := run(ctx, os.TempDir(), "check-ref-format", "refs/heads/"+name); err != nil {
		return errorf(CodeBadName, "%q is not a valid %s name", name, what)
	}
	if !r.Found() {
		return nil
	}
	full, err := line(ctx, r.WorkTree, quiet(r.commonArgs("rev-parse", "--verify", "-q", "--symbolic-full-name", "--end-of-options", name))...)
	if err == nil && full != "refs/heads/"+name {
		if full == "" {
			full = "an ambiguous name (a tag or another ref has it too)"
		}
		return errorf(CodeBadName, "%q is not a %s name: git reads it as %s, not the branch refs/heads/%s", name, what, full, name)
	}
	return nil
}

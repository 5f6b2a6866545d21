package worktree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
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

// WaitDelay bounds how long a git call's output is waited for once git
// has exited or was stopped: a program git started that keeps git's
// output open (a hook's background job) ends the call then, and is
// killed with git's process group.
var WaitDelay = 5 * time.Second

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

// profile says what a git call may do beyond its own work. Every git
// Konsole runs gets one, through git's environment (see env).
type profile int

const (
	// own is Konsole's own calls: reads, making and removing worktrees.
	// No hook, no fsmonitor, no network, no credential helper.
	own profile = iota
	// person is the person's commit and merge: the repository's hooks
	// run as git would run them; still no fsmonitor and no network (a
	// partial clone's missing object is never fetched).
	person
	// push is the person's push: hooks and the network.
	push
)

// env is what every git call gets in its environment: Konsole's
// environment without any GIT_ variable (a GIT_DIR, GIT_EXTERNAL_DIFF or
// GIT_CONFIG_PARAMETERS there would choose the repository or name a
// program), no prompts, git's messages in English, and p's settings as
// GIT_CONFIG_COUNT. Unlike -c or a config file, those settings outrank
// every config file and reach the gits git starts itself: git status in
// a submodule, whose own config an agent may have written.
func (p profile) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	set := [][2]string{
		{"core.fsmonitor", "false"},
		{"core.untrackedCache", "false"},
		{"safe.bareRepository", "explicit"},
		{"submodule.recurse", "false"},
		{"fetch.recurseSubmodules", "false"},
		{"push.recurseSubmodules", "no"},
		{"diff.submodule", "short"},
		{"status.submoduleSummary", "false"},
	}
	if p != push {
		// protocol.allow=never also stops a partial clone's lazy fetch
		// (GIT_NO_LAZY_FETCH needs git 2.45); an empty helper clears
		// the list of credential helpers.
		set = append(set, [2]string{"protocol.allow", "never"}, [2]string{"credential.helper", ""})
	}
	if p == own {
		set = append(set, [2]string{"core.hooksPath", os.DevNull}, [2]string{"gc.auto", "0"}, [2]string{"maintenance.auto", "false"})
	}
	env = append(env, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_OPTIONAL_LOCKS=0", "GIT_NO_LAZY_FETCH=1",
		"GIT_CONFIG_COUNT="+strconv.Itoa(len(set)))
	for i, kv := range set {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
	}
	return env
}

// command is name (git or gh) with args under ctx, in its own process
// group: stopping it (ctx done) kills the group, and the call ends
// WaitDelay after git, whatever git left running.
func command(ctx context.Context, dir string, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = WaitDelay
	ownGroup(cmd)
	return cmd
}

// wait waits for cmd and kills what is left of its process group when
// it was stopped or left its output open. An exit status of 0 whose
// output was held open by a leftover program is a success.
func wait(ctx context.Context, cmd *exec.Cmd) error {
	err := cmd.Wait()
	if errors.Is(err, exec.ErrWaitDelay) || ctx.Err() != nil {
		_ = killGroup(cmd) // the group may have ended already
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	return err
}

// run runs git, as Konsole's own call (see own), in dir with args and
// returns its standard output.
func run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return runAs(ctx, own, dir, nil, args...)
}

// runAs runs git with profile p and input on its standard input.
func runAs(ctx context.Context, p profile, dir string, input []byte, args ...string) ([]byte, error) {
	return runEnv(ctx, p.env(), dir, input, args...)
}

// runEnv runs git with the environment env (a profile's, perhaps with
// more) and input on its standard input.
func runEnv(ctx context.Context, env []string, dir string, input []byte, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := command(ctx, dir, env, "git", args...)
	if input != nil {
		cmd.Stdin = bytes.NewReader(input)
	}
	var out bytes.Buffer
	errb := &capped{limit: 64 << 10}
	cmd.Stdout, cmd.Stderr = &out, errb
	err := cmd.Start()
	if err == nil {
		err = wait(ctx, cmd)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.Bytes(), &gitError{args: args, code: ee.ExitCode(), stderr: errb.String()}
		}
		return nil, fmt.Errorf("failed to run git %s: %w", args[0], err)
	}
	return out.Bytes(), nil
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
	full, err := line(ctx, r.WorkTree, r.commonArgs("rev-parse", "--verify", "-q", "--symbolic-full-name", "--end-of-options", name)...)
	if err == nil && full != "refs/heads/"+name {
		if full == "" {
			full = "an ambiguous name (a tag or another ref has it too)"
		}
		return errorf(CodeBadName, "%q is not a %s name: git reads it as %s, not the branch refs/heads/%s", name, what, full, name)
	}
	return nil
}

package worktree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Error codes of pull requests.
const (
	CodeGHUnavailable = "gh_unavailable"
	CodeNoRemote      = "no_remote"
	CodePushFailed    = "push_failed"
	CodePRFailed      = "pr_failed"
)

// GHAuthTimeout bounds `gh auth status`, which asks GitHub whether the
// token still works.
var GHAuthTimeout = 10 * time.Second

// PRStatus says whether a pull request can be opened for a worktree, and
// when not, why.
type PRStatus struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
}

// PRAvailable answers whether OpenPR can work for w: `gh` is on PATH,
// `gh auth status` succeeds within GHAuthTimeout, and the repository has
// a remote to push to.
func PRAvailable(ctx context.Context, w Worktree) PRStatus {
	if err := ghReady(ctx); err != nil {
		return PRStatus{Reason: err.Error()}
	}
	if _, err := remoteOf(ctx, w); err != nil {
		return PRStatus{Reason: err.Error()}
	}
	return PRStatus{Available: true}
}

// OpenPR pushes the worktree's branch to the repository's remote
// (`git push -u -- <remote> <branch>`) and opens a pull request of it into
// the base with gh (`gh pr create --base <base> --head <branch>
// --title=<title> --body=<body>`, run in the worktree). It returns the
// URL gh prints. The worktree must be committed and have commits its
// base does not have.
func OpenPR(ctx context.Context, w Worktree, title, body string) (string, error) {
	title = strings.TrimSpace(title)
	if title == "" {
		return "", errorf(CodeBadName, "a pull request title is required")
	}
	r, err := w.repo(ctx)
	if err != nil {
		return "", err
	}
	if err := checkBranch(ctx, r, "branch", w.Branch); err != nil {
		return "", err
	}
	if err := checkBranch(ctx, r, "base branch", w.Base); err != nil {
		return "", err
	}
	if _, err := r.resolve("refs/heads/" + w.Base); err != nil {
		return "", errorf(CodeNotFound, "the base %q is not a branch of %s; a pull request needs a base branch", w.Base, w.Repo)
	}
	if err := trusted(ctx, w, "open a pull request"); err != nil {
		return "", err
	}
	if err := ghReady(ctx); err != nil {
		return "", err
	}
	remote, err := remoteOf(ctx, w)
	if err != nil {
		return "", err
	}
	if dirty, err := Dirty(ctx, r); err != nil {
		return "", err
	} else if len(dirty) > 0 {
		return "", &Error{Code: CodeDirty, Files: dirty, Message: fmt.Sprintf(
			"The worktree has uncommitted changes (%s); commit or discard them before opening a pull request", strings.Join(clip(dirty), ", "))}
	}
	if commits, err := Unmerged(ctx, w); err != nil {
		return "", err
	} else if len(commits) == 0 {
		return "", errorf(CodeNothing, "%s has no commits that %s does not have; commit first", w.Branch, w.Base)
	}
	// The person's action: the push runs the repository's hooks and
	// credential helpers as git push would, in the repository kept with
	// the worktree; gh's own git calls are pointed at it too.
	if _, err := runAs(ctx, push, r.WorkTree, nil, r.gitArgs("push", "-q", "-u", "--", remote, w.Branch)...); err != nil {
		return "", errorf(CodePushFailed, "failed to push %s to %s: %v", w.Branch, remote, err)
	}
	out, err := gh(ctx, Timeout, r, "pr", "create", "--base", w.Base, "--head", w.Branch, "--title="+title, "--body="+body)
	if err != nil {
		return "", errorf(CodePRFailed, "failed to open a pull request: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if u := strings.TrimSpace(lines[i]); strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
			return u, nil
		}
	}
	return "", errorf(CodePRFailed, "gh opened no pull request it named: %q", strings.TrimSpace(string(out)))
}

// ghReady is nil when gh is on PATH and logged in.
func ghReady(ctx context.Context) error {
	if _, err := exec.LookPath("gh"); err != nil {
		return errorf(CodeGHUnavailable, "the GitHub CLI (gh) is not installed or not on PATH")
	}
	if _, err := gh(ctx, GHAuthTimeout, Repository{}, "auth", "status"); err != nil {
		return errorf(CodeGHUnavailable, "the GitHub CLI (gh) is not logged in (gh auth status: %v); run gh auth login", err)
	}
	return nil
}

// remoteOf is the remote a pull request is pushed to: the base branch's
// upstream remote, else "origin", else the first remote.
func remoteOf(ctx context.Context, w Worktree) (string, error) {
	r, err := w.repo(ctx)
	if err != nil {
		return "", err
	}
	out, err := run(ctx, r.CommonDir, r.commonArgs("remote")...)
	if err != nil {
		return "", fmt.Errorf("failed to list the remotes: %w", err)
	}
	remotes := strings.Fields(string(out))
	if len(remotes) == 0 {
		return "", errorf(CodeNoRemote, "%s has no remote to push the branch to; add one with git remote add", w.Repo)
	}
	pick := remotes[0]
	upstream, _ := line(ctx, r.CommonDir, r.commonArgs("config", "--get", "branch."+w.Base+".remote")...)
	for _, r := range remotes {
		if r == "origin" && pick != upstream {
			pick = r
		}
		if r == upstream {
			pick = r
		}
	}
	if strings.HasPrefix(pick, "-") {
		return "", errorf(CodeBadName, "the remote name %q starts with \"-\"; git would read it as an option", pick)
	}
	return pick, nil
}

// gh runs the GitHub CLI in r's work tree with args (an argument list,
// never a shell), with prompts and update checks off, bounded by timeout.
// GIT_DIR and GIT_WORK_TREE point gh's own git calls at r.
func gh(ctx context.Context, timeout time.Duration, r Repository, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	env := append(person.env(), "GH_PROMPT_DISABLED=1", "GH_NO_UPDATE_NOTIFIER=1", "NO_COLOR=1")
	dir := ""
	if r.Found() {
		dir = r.WorkTree
		env = append(env, "GIT_DIR="+r.GitDir, "GIT_WORK_TREE="+r.WorkTree)
	}
	cmd := command(ctx, dir, env, "gh", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Start()
	if err == nil {
		err = wait(ctx, cmd)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("gh %s did not answer within %s", args[0], timeout)
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg := strings.TrimSpace(errb.String())
			if msg == "" {
				msg = fmt.Sprintf("exit status %d", ee.ExitCode())
			}
			return out.Bytes(), errors.New(msg)
		}
		return nil, fmt.Errorf("failed to run gh %s: %w", args[0], err)
	}
	return out.Bytes(), nil
}

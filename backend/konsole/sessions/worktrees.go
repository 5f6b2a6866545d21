package sessions

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/worktree"
	"github.com/konui/konui/backend/shared/apierror"
)

// worktreeStatus maps the worktree package's codes to HTTP statuses.
var worktreeStatus = map[string]int{
	worktree.CodeNotRepo: http.StatusBadRequest, worktree.CodeBadName: http.StatusBadRequest,
	worktree.CodeBadPath: http.StatusBadRequest, worktree.CodeNotFound: http.StatusNotFound,
	worktree.CodeBranchTaken: http.StatusConflict, worktree.CodeDirty: http.StatusConflict,
	worktree.CodeConflict: http.StatusConflict, worktree.CodeUnmerged: http.StatusConflict,
	worktree.CodeNothing: http.StatusConflict, worktree.CodeGit: http.StatusConflict,
	worktree.CodeGHUnavailable: http.StatusConflict, worktree.CodeNoRemote: http.StatusConflict,
	worktree.CodePushFailed: http.StatusConflict, worktree.CodePRFailed: http.StatusConflict,
	worktree.CodeRepoChanged: http.StatusConflict,
}

// gitError turns a worktree error into an API error that keeps its
// files and commits; other errors pass through.
func gitError(err error) error {
	var we *worktree.Error
	if !errors.As(err, &we) {
		return err
	}
	return &WorktreeError{Status: worktreeStatus[we.Code], Code: we.Code, Message: we.Message,
		Files: we.Files, Commits: we.Commits}
}

// WorktreeError is an API error with the files of a conflict or dirty
// checkout and the commits a discard would lose.
type WorktreeError struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"error"`
	Files   []string          `json:"files,omitempty"`
	Commits []worktree.Commit `json:"commits,omitempty"`
}

func (e *WorktreeError) Error() string { return e.Message }

// Unwrap lets asError find the status and code.
func (e *WorktreeError) Unwrap() error {
	return &apierror.Error{Status: e.Status, Code: e.Code, Message: e.Message}
}

// addWorktree makes the session's worktree when req asks for one and
// returns the folder the agent works in.
func (m *Manager) addWorktree(id, cwd string, req CreateRequest) (string, *SessionWorktree, error) {
	if req.Worktree == nil || !req.Worktree.On {
		return cwd, nil, nil
	}
	if m.cfg.DataDir == "" {
		return "", nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "this Konsole has no data folder to keep worktrees in")
	}
	name := req.Title
	if name == "" {
		name = filepath.Base(cwd)
	}
	w, err := worktree.Add(context.Background(), worktree.AddOptions{Dir: cwd, Root: m.cfg.DataDir,
		Name: worktree.ShortName(name) + "-" + id[:8], Base: req.Worktree.Base, Branch: req.Worktree.Branch, Carry: req.Worktree.Carry})
	if err != nil {
		if worktree.CodeOf(err) == worktree.CodeNotFound {
			return "", nil, apierror.New(http.StatusBadRequest, worktree.CodeNotFound, "%v", err)
		}
		return "", nil, gitError(err)
	}
	return w.Path, &SessionWorktree{Worktree: wireWorktree(w)}, nil
}

// wireWorktree is a worktree as the session shows it, gitWorktree the
// other way (TestAWorktreeReadsTheSameOnTheWire keeps them whole).
func wireWorktree(w worktree.Worktree) contract.Worktree {
	return contract.Worktree{Repo: w.Repo, Path: w.Path, Branch: w.Branch, Base: w.Base, Git: contract.Repository(w.Git), Trust: w.Trust}
}

func gitWorktree(w contract.Worktree) worktree.Worktree {
	return worktree.Worktree{Repo: w.Repo, Path: w.Path, Branch: w.Branch, Base: w.Base, Git: worktree.Repository(w.Git), Trust: w.Trust}
}

// repositoryOf decides, when a session is made and before its agent
// runs, which repository its changes are read from: its worktree's, or
// the one holding the folder the person chose ({} when there is none).
// It is never looked for again in a folder the agent has written in.
func repositoryOf(dir string, wt *SessionWorktree) *contract.Repository {
	if wt != nil {
		r := wt.Git
		return &r
	}
	r, _ := worktree.Locate(context.Background(), dir)
	return (*contract.Repository)(&r)
}

// repository is the repository a session reads its changes from. A
// session an older Konsole made has none kept: it is found once (a
// worktree's from the person's repository, never from the worktree's own
// .git) and kept from then on.
func (m *Manager) repository(id string) (worktree.Repository, error) {
	s, err := m.get(id)
	if err != nil {
		return worktree.Repository{}, err
	}
	info := s.snapshot()
	if info.Worktree != nil && worktree.Repository(info.Worktree.Git).Found() {
		return worktree.Repository(info.Worktree.Git), nil
	}
	if info.Git != nil && (info.Worktree == nil || worktree.Repository(*info.Git).Found()) {
		return worktree.Repository(*info.Git), nil
	}
	var r worktree.Repository
	if info.Worktree != nil {
		if r, err = worktree.LocateWorktree(context.Background(), info.Worktree.Repo, info.Worktree.Path); err != nil {
			return worktree.Repository{}, gitError(err)
		}
	} else {
		r, _ = worktree.Locate(context.Background(), info.Cwd)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.info.Git = (*contract.Repository)(&r)
	s.changed()
	return r, nil
}

// checkout returns where a session's changes are and what they are
// measured against: its worktree and base, or its folder and HEAD.
func (m *Manager) checkout(id string) (repo worktree.Repository, base string, wt *SessionWorktree, err error) {
	s, err := m.get(id)
	if err != nil {
		return worktree.Repository{}, "", nil, err
	}
	info := s.snapshot()
	if info.Worktree != nil && info.Worktree.Discarded {
		return worktree.Repository{}, "", nil, apierror.New(http.StatusConflict, "worktree_discarded", "the worktree of this session was discarded")
	}
	if repo, err = m.repository(id); err != nil {
		return worktree.Repository{}, "", nil, err
	}
	if info.Worktree == nil {
		if !repo.Found() {
			return repo, "", nil, apierror.New(http.StatusBadRequest, worktree.CodeNotRepo, "%s was not inside a git repository when the session was made", info.Cwd)
		}
		return repo, "", nil, nil
	}
	w := *info.Worktree
	w.Git = contract.Repository(repo)
	return repo, w.Base, &w, nil
}

// Changes lists what a session changed (see worktree.List).
func (m *Manager) Changes(ctx context.Context, id string) (worktree.Changes, error) {
	repo, base, _, err := m.checkout(id)
	if err != nil {
		return worktree.Changes{}, err
	}
	c, err := worktree.List(ctx, repo, base)
	return c, gitError(err)
}

// ChangeDiff starts the unified diff of one file a session changed (see
// worktree.OpenDiff); the caller reads it and must close it.
func (m *Manager) ChangeDiff(ctx context.Context, id, path string) (*worktree.DiffReader, error) {
	repo, base, _, err := m.checkout(id)
	if err != nil {
		return nil, err
	}
	d, err := worktree.OpenDiff(ctx, repo, base, path)
	return d, gitError(err)
}

// worktreeOf is the session's worktree, or a 409 for a session without one.
func (m *Manager) worktreeOf(id string) (*session, worktree.Worktree, error) {
	_, _, wt, err := m.checkout(id)
	if err != nil {
		return nil, worktree.Worktree{}, err
	}
	if wt == nil {
		return nil, worktree.Worktree{}, apierror.New(http.StatusConflict, "no_worktree", "this session works in its folder, not in a worktree of its own")
	}
	s, err := m.get(id)
	return s, gitWorktree(wt.Worktree), err
}

// trust records, when the person confirms, the repository's config and
// hooks as they are now as those the session's commit, merge and pull
// request may run (see worktree.Fingerprint): without it they refuse
// with repository_changed once either changed since the session started.
func (s *session) trust(ctx context.Context, w *worktree.Worktree, confirm bool) error {
	if !confirm {
		return nil
	}
	fp, err := worktree.Fingerprint(ctx, *w)
	if err != nil {
		return gitError(err)
	}
	w.Trust = fp
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.info.Worktree != nil {
		wt := *s.info.Worktree
		wt.Trust = fp
		s.info.Worktree = &wt
		s.changed()
	}
	return nil
}

// CommitWorktree commits every change in a session's worktree; confirm
// accepts the repository's config and hooks as they are now (see trust).
func (m *Manager) CommitWorktree(ctx context.Context, id, message string, confirm bool) (worktree.Commit, error) {
	s, w, err := m.worktreeOf(id)
	if err != nil {
		return worktree.Commit{}, err
	}
	m.wtMu.Lock()
	defer m.wtMu.Unlock()
	if err := s.trust(ctx, &w, confirm); err != nil {
		return worktree.Commit{}, err
	}
	c, err := worktree.CommitAll(ctx, w, message)
	return c, gitError(err)
}

// MergeWorktree merges a session's branch into its base; confirm as for
// CommitWorktree.
func (m *Manager) MergeWorktree(ctx context.Context, id string, confirm bool) (worktree.MergeResult, error) {
	s, w, err := m.worktreeOf(id)
	if err != nil {
		return worktree.MergeResult{}, err
	}
	m.wtMu.Lock()
	defer m.wtMu.Unlock()
	if err := s.trust(ctx, &w, confirm); err != nil {
		return worktree.MergeResult{}, err
	}
	r, err := worktree.Merge(ctx, w)
	return r, gitError(err)
}

// PRAvailable says whether a pull request can be opened for a session's
// worktree; a session without one (or whose worktree was discarded)
// answers false with the reason.
func (m *Manager) PRAvailable(ctx context.Context, id string) (worktree.PRStatus, error) {
	_, w, err := m.worktreeOf(id)
	if err != nil {
		var e *apierror.Error
		if errors.As(err, &e) && e.Status == http.StatusConflict {
			return worktree.PRStatus{Reason: e.Message}, nil
		}
		return worktree.PRStatus{}, err
	}
	return worktree.PRAvailable(ctx, w), nil
}

// OpenPR pushes a session's branch and opens a pull request of it into
// its base; it returns the pull request's URL. The push and gh run
// outside the worktree lock: they read the branch, they do not move it.
// confirm as for CommitWorktree.
func (m *Manager) OpenPR(ctx context.Context, id, title, body string, confirm bool) (string, error) {
	s, w, err := m.worktreeOf(id)
	if err != nil {
		return "", err
	}
	if err := s.trust(ctx, &w, confirm); err != nil {
		return "", err
	}
	u, err := worktree.OpenPR(ctx, w, title, body)
	return u, gitError(err)
}

// DiscardWorktree ends the session's agent and removes its worktree and
// branch; without confirm it refuses while commits are unmerged or files
// uncommitted, naming them. It refuses while a turn runs.
func (m *Manager) DiscardWorktree(ctx context.Context, id string, confirm bool) (Session, error) {
	s, w, err := m.worktreeOf(id)
	if err != nil {
		return Session{}, err
	}
	if st := s.snapshot().Status; st == StatusRunning || st == StatusStopping {
		return Session{}, apierror.New(http.StatusConflict, apierror.CodeConflict, "a turn is running; stop it before discarding the worktree")
	}
	m.wtMu.Lock()
	defer m.wtMu.Unlock()
	if !confirm {
		if err := worktree.Check(ctx, w); err != nil {
			return Session{}, gitError(err)
		}
	}
	s.end()
	if err := worktree.Discard(ctx, w, true); err != nil {
		return Session{}, gitError(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.info.Worktree = &SessionWorktree{Worktree: wireWorktree(w), Discarded: true}
	s.changed()
	return s.info, nil
}

package worktree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// scratch is a throwaway git folder for reading a checkout without
// trusting its repository. git runs with GIT_DIR set to it and the
// checkout as its work tree, so:
//   - the repository's config is never read: no core.fsmonitor, filter,
//     diff.external, textconv, pager or credential helper it names can
//     run, and the config scratch writes names none (hooks go to
//     /dev/null; system and global config are off too);
//   - objects git writes while staging go to scratch's own object folder,
//     with the repository's as an alternate to read from, and the index
//     is a copy: the repository stays byte for byte as it was.
//
// Attributes in the work tree are still read, but with no filter or diff
// driver configured they name no program.
type scratch struct {
	dir  string // the temporary folder: git/ and index
	head string // the checkout's HEAD commit
	repo Repository
	env  []string
}

// openScratch makes the scratch folder for r. The caller must call close.
func openScratch(ctx context.Context, r Repository) (*scratch, error) {
	if !r.Found() {
		return nil, errorf(CodeNotRepo, "this folder is not inside a git repository")
	}
	head, err := r.resolve("HEAD")
	if err != nil {
		return nil, errorf(CodeNotRepo, "%s is not a git repository with a commit", r.WorkTree)
	}
	objects := filepath.Join(r.CommonDir, "objects")
	if strings.ContainsAny(objects, "\n\r") {
		return nil, errorf(CodeNotRepo, "the repository's folder %q has a line break in its name", objects)
	}
	tmp, err := os.MkdirTemp("", "konui-read-*")
	if err != nil {
		return nil, fmt.Errorf("failed to create a scratch folder: %w", err)
	}
	s := &scratch{dir: tmp, head: head, repo: r}
	gd := filepath.Join(tmp, "git")
	format := "[core]\n\trepositoryformatversion = 0\n"
	if len(head) == 64 {
		format = "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectFormat = sha256\n"
	}
	config := format + "\tbare = false\n\tfsmonitor = false\n\thooksPath = " + os.DevNull + "\n\tuntrackedCache = false\n"
	err = errors.Join(
		os.MkdirAll(filepath.Join(gd, "objects", "info"), 0o700),
		os.MkdirAll(filepath.Join(gd, "refs"), 0o700),
		os.MkdirAll(filepath.Join(gd, "info"), 0o700),
		os.WriteFile(filepath.Join(gd, "HEAD"), []byte(head+"\n"), 0o600),
		os.WriteFile(filepath.Join(gd, "config"), []byte(config), 0o600),
		os.WriteFile(filepath.Join(gd, "objects", "info", "alternates"), []byte(objects+"\n"), 0o600),
		// The diff attribute unset for every file (info/attributes
		// outranks .gitattributes): "-diff" or "binary" in the work
		// tree does not make a text file's changes "Binary files
		// differ" in the listing.
		os.WriteFile(filepath.Join(gd, "info", "attributes"), []byte("* !diff\n"), 0o600),
		// Data only: what the repository ignores, and where its history
		// was cut (a shallow clone).
		copyCapped(filepath.Join(r.CommonDir, "info", "exclude"), filepath.Join(gd, "info", "exclude"), 1<<20),
		copyCapped(filepath.Join(r.CommonDir, "shallow"), filepath.Join(gd, "shallow"), 16<<20),
	)
	if ex := userExcludes(ctx, gd); err == nil && ex != "" && !strings.ContainsAny(ex, "\n\r\"\\") {
		err = os.WriteFile(filepath.Join(gd, "config"), []byte(config+"\texcludesFile = \""+ex+"\"\n"), 0o600)
	}
	if err == nil {
		err = s.copyIndex()
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("failed to prepare a scratch folder: %w", err)
	}
	// Paths are literal: a file named ":(glob)*" is that file, not a
	// pattern.
	s.env = []string{"GIT_DIR=" + gd, "GIT_WORK_TREE=" + r.WorkTree, "GIT_INDEX_FILE=" + s.index(), "GIT_LITERAL_PATHSPECS=1",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_ATTR_NOSYSTEM=1", "GIT_NO_REPLACE_OBJECTS=1"}
	return s, nil
}

func (s *scratch) index() string { return filepath.Join(s.dir, "index") }

// close removes the scratch folder and what git wrote into it.
func (s *scratch) close() { os.RemoveAll(s.dir) }

// copyIndex copies the checkout's index, so that files whose stat data
// did not change are not read again. The copy keeps the index's time: git
// trusts the stat data of an entry older than its index file, so a newer
// copy would hide a same-size edit made in the second the index was
// written.
func (s *scratch) copyIndex() error {
	real := filepath.Join(s.repo.GitDir, "index")
	st, err := os.Lstat(real)
	if err != nil || !st.Mode().IsRegular() {
		return nil // no index yet: every file is read
	}
	if err := copyCapped(real, s.index(), 1<<30); err != nil {
		return err
	}
	return os.Chtimes(s.index(), st.ModTime(), st.ModTime())
}

// copyCapped copies a regular file of at most limit bytes; a missing file
// or one of another kind (a FIFO would block the open) is skipped.
func copyCapped(from, to string, limit int64) error {
	in, err := openRegular(from, false)
	if err != nil {
		return nil
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil || st.Size() > limit {
		return nil
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, io.LimitReader(in, limit))
	return errors.Join(err, out.Close())
}

// userExcludes is the person's own core.excludesFile (their global
// ignore list), which scratch's git would not see with global config off.
// It is asked with gd as the repository, so that nothing is discovered.
func userExcludes(ctx context.Context, gd string) string {
	out, err := run(ctx, gd, "--git-dir="+gd, "config", "--global", "--path", "--get", "core.excludesFile")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// command is git in scratch with args.
func (s *scratch) command(ctx context.Context, args ...string) *exec.Cmd {
	return command(ctx, s.repo.WorkTree, append(own.env(), s.env...), "git", append([]string{"--no-pager"}, args...)...)
}

// run runs git in scratch and returns all its output (small answers).
func (s *scratch) run(ctx context.Context, args ...string) ([]byte, error) {
	out, _, err := s.output(ctx, 1<<20, args...)
	return out, err
}

// output runs git in scratch and returns at most limit bytes of its
// output; truncated says there was more (git is stopped then).
func (s *scratch) output(ctx context.Context, limit int64, args ...string) (out []byte, truncated bool, err error) {
	st, err := s.stream(ctx, args...)
	if err != nil {
		return nil, false, err
	}
	var buf bytes.Buffer
	n, rerr := io.Copy(&buf, io.LimitReader(st, limit+1))
	truncated = n > limit
	out = buf.Bytes()
	if truncated {
		out = out[:limit]
	}
	cerr := st.close(truncated)
	if rerr != nil {
		return nil, false, fmt.Errorf("failed to read git %s: %w", args[0], rerr)
	}
	return out, truncated, cerr
}

// stream is git's output being read; close waits for git.
type stream struct {
	io.Reader
	cmd    *exec.Cmd
	out    io.ReadCloser
	errb   *capped
	args   []string
	ctx    context.Context
	cancel context.CancelFunc
}

// stream starts git in scratch; the caller reads its output and must
// call close.
func (s *scratch) stream(ctx context.Context, args ...string) (*stream, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	cmd := s.command(ctx, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("failed to run git %s: %w", args[0], err)
	}
	errb := &capped{limit: 64 << 10}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("failed to run git %s: %w", args[0], err)
	}
	return &stream{Reader: out, cmd: cmd, out: out, errb: errb, args: args, ctx: ctx, cancel: cancel}, nil
}

// close ends git and waits for it. early says the reader stopped before
// the end: git is stopped, and its exit status does not count.
func (st *stream) close(early bool) error {
	if early {
		st.cancel()
	}
	st.out.Close()
	err := wait(st.ctx, st.cmd)
	st.cancel()
	if early || err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &gitError{args: st.args, code: ee.ExitCode(), stderr: st.errb.String()}
	}
	return fmt.Errorf("failed to run git %s: %w", st.args[0], err)
}

// capped keeps the first limit bytes written to it.
type capped struct {
	bytes.Buffer
	limit int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// stage adds every file of the work tree (new, changed, moved and
// removed alike) to scratch's index, so that one `git diff --cached`
// sees all of it, renames of untracked files included. Nested
// repositories (submodules, and folders with a .git of their own that an
// agent may have made) are fenced first (see fence): git never runs in
// them. An index git cannot use as it is (a split index) is replaced by
// an empty one.
func (s *scratch) stage(ctx context.Context) error {
	err := s.fence(ctx)
	if err == nil {
		_, err = s.run(ctx, "add", "-A", "--", ".")
	}
	if err != nil {
		os.Remove(s.index())
		err = s.fence(ctx)
		if err == nil {
			_, err = s.run(ctx, "add", "-A", "--", ".")
		}
		if err != nil {
			return fmt.Errorf("failed to stage the changes into a temporary index: %w", err)
		}
	}
	return nil
}

// fence records every nested repository of the work tree in scratch's
// index as a submodule entry (a gitlink) at the commit its HEAD names,
// read by Konsole itself, and marks those entries skip-worktree, so that
// git add never looks inside them. Else git add runs `git status` in
// each submodule, and that git reads the nested repository's own config
// (an fsmonitor or a filter an agent wrote there), and fails on one with
// no commit. Nested repositories are thus listed as changes (added,
// moved to another commit, deleted) and never hidden.
func (s *scratch) fence(ctx context.Context) error {
	links, err := s.records(ctx, "ls-files", "-s", "-z")
	if err != nil {
		return err
	}
	untracked, err := s.records(ctx, "ls-files", "-o", "--exclude-standard", "-z")
	if err != nil {
		return err
	}
	info, paths, _ := nestedEntries(s.repo.WorkTree, links, untracked, len(s.head))
	if info.Len() == 0 {
		return nil
	}
	if _, err := s.input(ctx, info.Bytes(), "update-index", "-z", "--index-info"); err != nil {
		return err
	}
	if len(paths) > 0 {
		if _, err := s.input(ctx, []byte(strings.Join(paths, "\x00")+"\x00"), "update-index", "-z", "--skip-worktree", "--stdin"); err != nil {
			return err
		}
	}
	return nil
}

// nestedEntries reads the nested repositories of the work tree top from
// its index's entries (ls-files -s -z) and its untracked paths (ls-files
// -o -z) and returns the index lines (update-index --index-info -z) that
// record each at the commit its HEAD names, or remove a submodule whose
// folder is gone, and the paths of the entries kept. hashLen is the
// length of the repository's object names. A nested repository with no
// commit yet is recorded at a stand-in commit (000…1) and named in
// unborn.
func nestedEntries(top string, links, untracked []string, hashLen int) (info bytes.Buffer, paths, unborn []string) {
	entry := func(sha, path string) {
		fmt.Fprintf(&info, "160000 %s\t%s\x00", sha, path)
		paths = append(paths, path)
	}
	for _, rec := range links {
		meta, path, _ := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if len(f) != 3 || f[0] != "160000" || f[2] != "0" {
			continue
		}
		st, err := os.Lstat(filepath.Join(top, filepath.FromSlash(path)))
		if err != nil || !st.IsDir() {
			// Gone, or replaced by a file: git add sees the rest.
			fmt.Fprintf(&info, "0 %s\t%s\x00", strings.Repeat("0", len(f[1])), path)
			continue
		}
		sha := f[1]
		if head, ok := nestedHead(filepath.Join(top, filepath.FromSlash(path))); ok && len(head) == len(sha) {
			sha = head // git too keeps the entry when HEAD does not resolve
		}
		entry(sha, path)
	}
	for _, path := range untracked {
		// git lists a nested repository as its folder ("x/") and does
		// not go in.
		dir, ok := strings.CutSuffix(path, "/")
		if !ok {
			continue
		}
		head, ok := nestedHead(filepath.Join(top, filepath.FromSlash(dir)))
		if !ok || len(head) != hashLen {
			// No commit yet: a stand-in commit, so that it is listed.
			head = strings.Repeat("0", hashLen-1) + "1"
			unborn = append(unborn, dir)
		}
		entry(head, dir)
	}
	return info, paths, unborn
}

// records runs git in scratch and returns its NUL-separated answer
// (at most MaxListBytes of it).
func (s *scratch) records(ctx context.Context, args ...string) ([]string, error) {
	out, _, err := s.output(ctx, MaxListBytes, args...)
	if err != nil {
		return nil, err
	}
	return split0(out), nil
}

// input runs git in scratch with input on its standard input.
func (s *scratch) input(ctx context.Context, input []byte, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := s.command(ctx, args...)
	cmd.Stdin = bytes.NewReader(input)
	out := &capped{limit: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Start()
	if err == nil {
		err = wait(ctx, cmd)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to run git %s: %v: %s", args[0], err, strings.TrimSpace(out.String()))
	}
	return out.Bytes(), nil
}

// nestedHead is the commit HEAD names in the nested repository at dir
// (its .git a folder, or a file naming one), read by Konsole itself.
func nestedHead(dir string) (string, bool) {
	gd := filepath.Join(dir, ".git")
	if b, err := readSmall(gd); err == nil {
		p, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
		if !ok {
			return "", false
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		gd = p
	}
	common := gd
	if b, err := readSmall(filepath.Join(gd, "commondir")); err == nil {
		if c := strings.TrimSpace(string(b)); filepath.IsAbs(c) {
			common = c
		} else {
			common = filepath.Join(gd, c)
		}
	}
	sha, err := Repository{GitDir: gd, CommonDir: common, WorkTree: dir}.resolve("HEAD")
	return sha, err == nil
}

// commit resolves a base the worktree package keeps: a branch name (as
// refs/heads/<name>, never anything else git might read it as) or a
// commit.
func (s *scratch) commit(base string) (string, error) {
	if sha, err := s.repo.resolve("refs/heads/" + base); err == nil {
		return sha, nil
	}
	if isHex(base) {
		return base, nil
	}
	return "", errorf(CodeNotFound, "the base %q is not a branch of the repository", base)
}

// mergeBase is the commit a checkout's changes are measured from: the
// merge base of base and HEAD (so commits added to the base branch since
// do not show as reverted), or HEAD when base is empty.
func (s *scratch) mergeBase(ctx context.Context, base string) (string, error) {
	if base == "" {
		return s.head, nil
	}
	if strings.HasPrefix(base, "-") {
		return "", errorf(CodeBadName, "the base name %q starts with \"-\"", base)
	}
	sha, err := s.commit(base)
	if err != nil {
		return "", err
	}
	out, err := s.run(ctx, "merge-base", sha, s.head)
	if err != nil {
		return "", errorf(CodeNotFound, "the base %q has no common commit with the worktree's branch", base)
	}
	return strings.TrimSpace(string(out)), nil
}

package worktree

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// File is one changed file. Status is added, modified, deleted, renamed
// or typechange; OldPath is set for a rename. A binary file has no line
// counts.
type File struct {
	Path      string `json:"path"`
	OldPath   string `json:"oldPath,omitempty"`
	Status    string `json:"status"`
	Additions int    `json:"additions"`
	Deletions int    `json:"deletions"`
	Binary    bool   `json:"binary"`
}

// Changes are the files changed in a checkout against a base commit:
// committed, uncommitted and untracked changes together. Truncated says
// the listing was cut at MaxFiles files (or git's answer at MaxListBytes).
type Changes struct {
	Base      string `json:"base"`
	Head      string `json:"head"`
	Files     []File `json:"files"`
	Truncated bool   `json:"truncated"`
}

// Byte budgets of the reads: a listing holds at most MaxFiles files and
// reads at most MaxListBytes of each of git's answers; a diff is cut at
// MaxDiffBytes.
var (
	MaxFiles           = 5000
	MaxListBytes int64 = 8 << 20
	MaxDiffBytes int64 = 8 << 20
)

// diffArgs are the options of every diff Konsole reads: no external diff
// program, no textconv, no colour, renames found. Nested repositories
// are listed as submodule entries (see fence), never hidden.
var diffArgs = []string{"diff", "--cached", "--no-ext-diff", "--no-textconv", "--no-color", "--submodule=short", "-M"}

// List returns the changes in the checkout of r against base: the merge
// base of the branch base (or a commit) and HEAD, or HEAD when base is
// empty. It runs no program the repository names and writes nothing into
// it (see scratch).
func List(ctx context.Context, r Repository, base string) (Changes, error) {
	s, err := openScratch(ctx, r)
	if err != nil {
		return Changes{}, err
	}
	defer s.close()
	from, err := s.mergeBase(ctx, base)
	if err != nil {
		return Changes{}, err
	}
	if err := s.stage(ctx); err != nil {
		return Changes{}, err
	}
	c := Changes{Base: from, Head: s.head, Files: []File{}}
	names, cut1, err := s.output(ctx, MaxListBytes, append(diffArgs, "--name-status", "-z", from, "--")...)
	if err != nil {
		return Changes{}, fmt.Errorf("failed to list changes: %w", err)
	}
	nums, cut2, err := s.output(ctx, MaxListBytes, append(diffArgs, "--numstat", "-z", from, "--")...)
	if err != nil {
		return Changes{}, fmt.Errorf("failed to count changes: %w", err)
	}
	c.Files = parseNameStatus(names)
	if cut1 && len(c.Files) > 0 {
		c.Files = c.Files[:len(c.Files)-1] // its path may be cut
	}
	if len(c.Files) > MaxFiles {
		c.Files = c.Files[:MaxFiles]
		cut1 = true
	}
	c.Truncated = cut1 || cut2
	counts := parseNumstat(nums)
	for i := range c.Files {
		if n, ok := counts[c.Files[i].Path]; ok {
			c.Files[i].Additions, c.Files[i].Deletions, c.Files[i].Binary = n.add, n.del, n.binary
		}
	}
	return c, nil
}

func split0(b []byte) []string {
	var out []string
	for _, s := range strings.Split(string(b), "\x00") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

var statuses = map[byte]string{'A': "added", 'M': "modified", 'D': "deleted", 'R': "renamed", 'C': "added", 'T': "typechange"}

// parseNameStatus reads `git diff --name-status -z`: a status field, then
// one path, or two (old, new) for a rename or copy.
func parseNameStatus(b []byte) []File {
	f := strings.Split(string(b), "\x00")
	out := []File{}
	for i := 0; i < len(f) && f[i] != ""; {
		st := f[i]
		s, ok := statuses[st[0]]
		if !ok {
			s = "modified"
		}
		if (st[0] == 'R' || st[0] == 'C') && i+2 < len(f) {
			file := File{Path: f[i+2], Status: s}
			if st[0] == 'R' {
				file.OldPath = f[i+1]
			}
			out = append(out, file)
			i += 3
			continue
		}
		if i+1 < len(f) {
			out = append(out, File{Path: f[i+1], Status: s})
		}
		i += 2
	}
	return out
}

type numstat struct {
	add, del int
	binary   bool
}

// parseNumstat reads `git diff --numstat -z`: "A\tD\tpath\0", or for a
// rename "A\tD\t\0old\0new\0"; binary files count "-\t-".
func parseNumstat(b []byte) map[string]numstat {
	out := map[string]numstat{}
	f := strings.Split(string(b), "\x00")
	for i := 0; i < len(f) && f[i] != ""; i++ {
		parts := strings.SplitN(f[i], "\t", 3)
		if len(parts) != 3 {
			continue
		}
		var n numstat
		if parts[0] == "-" {
			n.binary = true
		} else {
			n.add, _ = strconv.Atoi(parts[0])
			n.del, _ = strconv.Atoi(parts[1])
		}
		path := parts[2]
		if path == "" && i+2 < len(f) {
			path = f[i+2]
			i += 2
		}
		out[path] = n
	}
	return out
}

// CleanPath checks that a path from a request names a file inside dir:
// relative, no "..". It returns the cleaned path. A leading "-" is a
// name like any other: paths go to git after "--", as literal paths.
func CleanPath(dir, p string) (string, error) {
	if p == "" {
		return "", errorf(CodeBadPath, "a path is required")
	}
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return "", errorf(CodeBadPath, "the path %q must be relative to the worktree", p)
	}
	clean := filepath.ToSlash(filepath.Clean(p))
	if clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(p, "\x00") {
		return "", errorf(CodeBadPath, "the path %q leaves the worktree", p)
	}
	if rel, err := filepath.Rel(dir, filepath.Join(dir, clean)); err != nil || strings.HasPrefix(rel, "..") {
		return "", errorf(CodeBadPath, "the path %q leaves the worktree", p)
	}
	return clean, nil
}

// DiffReader is the unified diff of one changed file, read from git as
// it writes it: the caller reads what it can hold and must call Close.
type DiffReader struct {
	io.Reader
	st *stream
	s  *scratch
}

// Close stops git if it is still writing, waits for it and removes the
// scratch folder. early says the caller stopped before the end.
func (d *DiffReader) Close(early bool) error {
	err := d.st.close(early)
	d.s.close()
	return err
}

// OpenDiff starts the unified diff of one changed file in the checkout
// of r against base (see List). A path that is not among the changes is
// CodeNotFound. Like List it runs no program the repository names and
// writes nothing into it.
func OpenDiff(ctx context.Context, r Repository, base, path string) (*DiffReader, error) {
	clean, err := CleanPath(r.WorkTree, path)
	if err != nil {
		return nil, err
	}
	s, err := openScratch(ctx, r)
	if err != nil {
		return nil, err
	}
	d, err := openDiff(ctx, s, base, clean)
	if err != nil {
		s.close()
		return nil, err
	}
	return d, nil
}

func openDiff(ctx context.Context, s *scratch, base, path string) (*DiffReader, error) {
	from, err := s.mergeBase(ctx, base)
	if err != nil {
		return nil, err
	}
	if err := s.stage(ctx); err != nil {
		return nil, err
	}
	names, _, err := s.output(ctx, MaxListBytes, append(diffArgs, "--name-status", "-z", from, "--")...)
	if err != nil {
		return nil, fmt.Errorf("failed to list changes: %w", err)
	}
	for _, f := range parseNameStatus(names) {
		if f.Path != path {
			continue
		}
		paths := []string{f.Path}
		if f.OldPath != "" {
			paths = []string{f.OldPath, f.Path}
		}
		// --text: an attribute (-diff, binary) must not hide what changed
		// from the review; the diff is cut at the budget anyway.
		st, err := s.stream(ctx, append(append(diffArgs, "--text", from, "--"), paths...)...)
		if err != nil {
			return nil, fmt.Errorf("failed to diff %s: %w", f.Path, err)
		}
		return &DiffReader{Reader: st, st: st, s: s}, nil
	}
	return nil, errorf(CodeNotFound, "%q has no changes against the base", path)
}

// Diff returns at most limit bytes of the unified diff of one changed
// file (see OpenDiff); truncated says there was more.
func Diff(ctx context.Context, r Repository, base, path string, limit int64) (diff string, truncated bool, err error) {
	d, err := OpenDiff(ctx, r, base, path)
	if err != nil {
		return "", false, err
	}
	var b strings.Builder
	n, rerr := io.Copy(&b, io.LimitReader(d, limit+1))
	truncated = n > limit
	if err := d.Close(truncated); err != nil {
		return "", false, fmt.Errorf("failed to diff %s: %w", path, err)
	}
	if rerr != nil {
		return "", false, fmt.Errorf("failed to read the diff of %s: %w", path, rerr)
	}
	out := b.String()
	if truncated {
		out = out[:limit]
	}
	return out, truncated, nil
}

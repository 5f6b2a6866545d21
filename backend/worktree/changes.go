package worktree

import (
	"context"
	"fmt"
	"os"
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
// committed, uncommitted and untracked changes together.
type Changes struct {
	Base  string `json:"base"`
	Head  string `json:"head"`
	Files []File `json:"files"`
}

// Base returns the commit that dir's changes are measured against: the
// merge base of base and HEAD (so commits added to the base branch since
// do not show as reverted), or HEAD when base is empty.
func Base(ctx context.Context, dir, base string) (string, error) {
	if base == "" {
		head, err := line(ctx, dir, "rev-parse", "--verify", "-q", "HEAD")
		if err != nil {
			return "", errorf(CodeNotRepo, "%s is not a git repository with a commit", dir)
		}
		return head, nil
	}
	if strings.HasPrefix(base, "-") {
		return "", errorf(CodeBadName, "the base name %q starts with \"-\"", base)
	}
	mb, err := line(ctx, dir, "merge-base", "--end-of-options", base, "HEAD")
	if err != nil {
		return "", errorf(CodeNotFound, "the base %q has no common commit with the worktree's branch", base)
	}
	return mb, nil
}

// List returns the changes in dir against base (see Base).
func List(ctx context.Context, dir, base string) (Changes, error) {
	var c Changes
	err := withIndex(ctx, dir, base, func(from string, env []string) error {
		head, _ := line(ctx, dir, "rev-parse", "HEAD")
		c = Changes{Base: from, Head: head, Files: []File{}}
		names, err := runEnv(ctx, dir, env, "diff", "--cached", "-M", "--name-status", "-z", from, "--")
		if err != nil {
			return fmt.Errorf("failed to list changes: %w", err)
		}
		nums, err := runEnv(ctx, dir, env, "diff", "--cached", "-M", "--numstat", "-z", from, "--")
		if err != nil {
			return fmt.Errorf("failed to count changes: %w", err)
		}
		c.Files = parseNameStatus(names)
		counts := parseNumstat(nums)
		for i := range c.Files {
			if n, ok := counts[c.Files[i].Path]; ok {
				c.Files[i].Additions, c.Files[i].Deletions, c.Files[i].Binary = n.add, n.del, n.binary
			}
		}
		return nil
	})
	return c, err
}

// withIndex stages everything in dir (new, changed, moved and removed
// files alike) into a throwaway copy of its index, so that one
// `git diff --cached` sees all of it, renames of untracked files
// included, without touching what the user staged. fn gets the base
// commit and the environment that selects that index.
func withIndex(ctx context.Context, dir, base string, fn func(from string, env []string) error) error {
	from, err := Base(ctx, dir, base)
	if err != nil {
		return err
	}
	real, err := line(ctx, dir, "rev-parse", "--path-format=absolute", "--git-path", "index")
	if err != nil {
		return fmt.Errorf("failed to find the index of %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp("", "konui-index-*")
	if err != nil {
		return fmt.Errorf("failed to create a temporary index: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	// The copy keeps the index's time: git trusts the stat data of an entry
	// older than its index file, so a newer copy would hide a same-size
	// edit made in the second the index was written. The time is read
	// first: an index rewritten in between only makes more entries racy.
	st, statErr := os.Stat(real)
	if b, err := os.ReadFile(real); err == nil && statErr == nil {
		if err := os.WriteFile(tmp.Name(), b, 0o600); err != nil {
			return fmt.Errorf("failed to copy the index: %w", err)
		}
		if err := os.Chtimes(tmp.Name(), st.ModTime(), st.ModTime()); err != nil {
			return fmt.Errorf("failed to copy the index's time: %w", err)
		}
	} else {
		os.Remove(tmp.Name())
	}
	env := []string{"GIT_INDEX_FILE=" + tmp.Name()}
	if _, err := runEnv(ctx, dir, env, "add", "-A", "--", "."); err != nil {
		return fmt.Errorf("failed to stage the changes into a temporary index: %w", err)
	}
	return fn(from, env)
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
// relative, no "..", no leading "-". It returns the cleaned path.
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
	if strings.HasPrefix(clean, "-") {
		return "", errorf(CodeBadPath, "the path %q starts with \"-\"", p)
	}
	if rel, err := filepath.Rel(dir, filepath.Join(dir, clean)); err != nil || strings.HasPrefix(rel, "..") {
		return "", errorf(CodeBadPath, "the path %q leaves the worktree", p)
	}
	return clean, nil
}

// Diff returns the unified diff of one changed file in dir against base
// (see Base). A path that is not among the changes is CodeNotFound.
func Diff(ctx context.Context, dir, base, path string) (string, error) {
	clean, err := CleanPath(dir, path)
	if err != nil {
		return "", err
	}
	var out []byte
	found := false
	err = withIndex(ctx, dir, base, func(from string, env []string) error {
		names, err := runEnv(ctx, dir, env, "diff", "--cached", "-M", "--name-status", "-z", from, "--")
		if err != nil {
			return fmt.Errorf("failed to list changes: %w", err)
		}
		for _, f := range parseNameStatus(names) {
			if f.Path != clean {
				continue
			}
			paths := []string{f.Path}
			if f.OldPath != "" {
				paths = []string{f.OldPath, f.Path}
			}
			found = true
			out, err = runEnv(ctx, dir, env, append([]string{"diff", "--cached", "-M", from, "--"}, paths...)...)
			if err != nil {
				return fmt.Errorf("failed to diff %s: %w", f.Path, err)
			}
			return nil
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if !found {
		return "", errorf(CodeNotFound, "%q has no changes against the base", path)
	}
	return string(out), nil
}

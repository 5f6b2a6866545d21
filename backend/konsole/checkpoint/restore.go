package checkpoint

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/konui/konui/backend/konsole/worktree"
)

// restore puts the files of plan that want says to restore back to what
// the snapshot target holds. All of it goes through an os.Root of the
// folder, and no path is followed through a symbolic link: a link where
// the snapshot has a folder is replaced by the folder, a link where it
// has a file is replaced by the file (the rename replaces the link, not
// what it points at), and a link the snapshot held is made again as a
// link with its bytes, never followed.
func (sh *shadow) restore(ctx context.Context, target string, files []File, want func(File) bool) error {
	root, err := os.OpenRoot(sh.folder)
	if err != nil {
		return fmt.Errorf("failed to open the folder %s: %w", sh.folder, err)
	}
	defer root.Close()
	var remove, write []File
	keep := map[string]bool{} // paths left as they are
	for _, f := range files {
		switch {
		case !want(f):
			keep[f.Path] = true
		case f.Status == Added:
			remove = append(remove, f)
		default:
			write = append(write, f)
		}
	}
	var errs []error
	// Removals first, deepest first, so that a folder made since the
	// snapshot is gone before a file of the same name comes back.
	sort.Slice(remove, func(i, j int) bool { return remove[i].Path > remove[j].Path })
	emptied := map[string]bool{}
	for _, f := range remove {
		if err := root.Remove(f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("failed to remove %s: %w", f.Path, err))
			continue
		}
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			emptied[d] = true
		}
	}
	if len(emptied) > 0 {
		dirs, err := sh.dirs(ctx, target)
		if err != nil {
			return err
		}
		pruneEmpty(root, emptied, dirs)
	}
	if len(write) == 0 {
		return errors.Join(errs...)
	}
	blobs, err := sh.blobs(ctx, write)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for i, f := range write {
		if err := putBack(root, f, blobs[i], keep); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// dirs is the set of folders the snapshot target has files in.
func (sh *shadow) dirs(ctx context.Context, target string) (map[string]bool, error) {
	out, err := sh.git(ctx, nil, "ls-tree", "-r", "-d", "-z", "--name-only", target)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, d := range split0(out) {
		set[d] = true
	}
	return set, nil
}

// pruneEmpty removes, deepest first, the folders of emptied that the
// snapshot does not have and that are empty now (Remove fails on a
// folder with anything left in it, ignored files included).
func pruneEmpty(root *os.Root, emptied, keep map[string]bool) {
	var ds []string
	for d := range emptied {
		if !keep[d] {
			ds = append(ds, d)
		}
	}
	sort.Slice(ds, func(i, j int) bool { return strings.Count(ds[i], "/") > strings.Count(ds[j], "/") || ds[i] > ds[j] })
	for _, d := range ds {
		if fi, err := root.Lstat(d); err == nil && fi.IsDir() {
			// A folder with anything left in it stays: nothing to do.
			_ = root.Remove(d)
		}
	}
}

// blobs reads the snapshot's bytes of every file of files, in order, with
// one `git cat-file --batch`. Each is at most the size bound.
func (sh *shadow) blobs(ctx context.Context, files []File) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, worktree.Timeout)
	defer cancel()
	cmd := worktree.OwnCommand(ctx, sh.folder, sh.env, "cat-file", "--batch")
	var in strings.Builder
	for _, f := range files {
		in.WriteString(f.fromObject + "\n")
	}
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("failed to read the checkpoint's files: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to read the checkpoint's files: %w", err)
	}
	res, rerr := readBatch(bufio.NewReader(out), len(files))
	if rerr != nil {
		cancel() // git may still be writing: stop it
	}
	out.Close()
	werr := worktree.WaitOwn(ctx, cmd)
	if rerr != nil {
		return nil, rerr
	}
	if werr != nil {
		return nil, fmt.Errorf("failed to read the checkpoint's files: %w", werr)
	}
	return res, nil
}

// readBatch reads n answers of cat-file --batch: "<id> <type> <size>\n",
// the bytes, "\n".
func readBatch(r *bufio.Reader, n int) ([][]byte, error) {
	res := make([][]byte, 0, n)
	for range n {
		head, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("failed to read the checkpoint's files: %w", err)
		}
		f := strings.Fields(head)
		if len(f) != 3 || f[1] != "blob" {
			return nil, fmt.Errorf("failed to read the checkpoint's files: git answered %q", strings.TrimSpace(head))
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("failed to read the checkpoint's files: git answered %q", strings.TrimSpace(head))
		}
		b := make([]byte, size+1)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("failed to read the checkpoint's files: %w", err)
		}
		res = append(res, b[:size])
	}
	return res, nil
}

// putBack writes one file (or link) of the snapshot at f.Path. Its
// folders are made real folders first (see realDirs); the new file is
// written aside and renamed over whatever is there, so that a link in
// its place is replaced, never written through.
func putBack(root *os.Root, f File, data []byte, keep map[string]bool) error {
	if err := realDirs(root, path.Dir(f.Path), keep); err != nil {
		return fmt.Errorf("failed to restore %s: %w", f.Path, err)
	}
	tmp := path.Join(path.Dir(f.Path), ".konui-rewind-"+randHex())
	var err error
	switch f.fromMode {
	case "120000":
		err = root.Symlink(string(data), tmp)
	case "100644", "100755":
		p, exact := perm(root, f)
		err = writeNew(root, tmp, data, p, exact)
	default:
		return fmt.Errorf("failed to restore %s: the checkpoint holds an entry of mode %s", f.Path, f.fromMode)
	}
	if err == nil {
		if fi, lerr := root.Lstat(f.Path); lerr == nil && fi.IsDir() {
			// A folder made since, that still holds something the
			// snapshot does not know (an ignored file): leave it.
			err = fmt.Errorf("a folder is in its place")
		} else {
			err = root.Rename(tmp, f.Path)
		}
	}
	if err != nil {
		_ = root.Remove(tmp) // the error returned says what failed
		return fmt.Errorf("failed to restore %s: %w", f.Path, err)
	}
	return nil
}

// perm is the permission f gets back: the file's own when it is there
// (a private file stays private), with the executable bits the snapshot
// says; else the usual ones, less the umask.
func perm(root *os.Root, f File) (p os.FileMode, exact bool) {
	exec := f.fromMode == "100755"
	fi, err := root.Lstat(f.Path)
	if err != nil || !fi.Mode().IsRegular() {
		if exec {
			return 0o755, false
		}
		return 0o644, false
	}
	p = fi.Mode().Perm()
	switch {
	case exec && p&0o111 == 0:
		p |= (p & 0o444) >> 2 // executable by whoever may read it
	case !exec:
		p &^= 0o111
	}
	return p, true
}

// writeNew makes the file name (which must not exist) with data and the
// permission p (exact: as it is; else less the umask).
func writeNew(root *os.Root, name string, data []byte, p os.FileMode, exact bool) error {
	w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, p)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	if err == nil && exact {
		err = w.Chmod(p)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// realDirs makes every folder of dir (a slash path under the root) a
// real folder: missing ones are made; a file or a link where the
// snapshot has a folder is removed first, unless it is a path left as it
// is (keep). So nothing is ever written through a link.
func realDirs(root *os.Root, dir string, keep map[string]bool) error {
	if dir == "." || dir == "" {
		return nil
	}
	cur := ""
	for _, part := range strings.Split(dir, "/") {
		cur = path.Join(cur, part)
		fi, err := root.Lstat(cur)
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil:
			if keep[cur] {
				return fmt.Errorf("%s was changed outside the agent and is left as it is", cur)
			}
			if err := root.Remove(cur); err != nil {
				return err
			}
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		if err := root.Mkdir(cur, 0o755); err != nil {
			return err
		}
	}
	return nil
}

func randHex() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

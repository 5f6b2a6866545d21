package checkpoint

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/konui/konui/backend/konsole/worktree"
)

// bulkFiles is how many changed files take's update-index adds itself;
// beyond it (the first snapshot of a folder, a checkout of another
// branch) the files go through bulkAdd.
const bulkFiles = 64

// bulkAdd stores many files at once: `git update-index --add` writes one
// loose object file per file, which on a slow disk costs seconds for
// ten thousand files, where `git fast-import` writes one pack. Konsole
// reads each file itself (links are read as links, never followed; a
// file over maxFile is left out and returned), hands the bytes to
// fast-import, then puts the objects in the index with --index-info
// and refreshes the index's stat data, so that the next status reads
// none of them again. A path that is no longer a file or a link is
// dropped from the index.
func (sh *shadow) bulkAdd(ctx context.Context, paths []string, maxFile int64) ([]Skipped, error) {
	ctx, cancel := context.WithTimeout(ctx, worktree.Timeout)
	defer cancel()
	marks := filepath.Join(sh.dir, "marks")
	defer os.Remove(marks)
	cmd := worktree.OwnCommand(ctx, sh.folder, sh.env, "fast-import", "--quiet", "--done", "--export-marks="+marks)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("failed to store the folder's files: %w", err)
	}
	errb := &bytes.Buffer{}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to store the folder's files: %w", err)
	}
	w := bufio.NewWriterSize(in, 256<<10)
	var skipped []Skipped
	modes := make([]string, len(paths))
	var gone bytes.Buffer
	var werr error
	for i, p := range paths {
		mode, data, size, err := readEntry(filepath.Join(sh.folder, filepath.FromSlash(p)), maxFile)
		switch {
		case err != nil:
			fmt.Fprintf(&gone, "%s\x00", p)
			continue
		case mode == "":
			skipped = append(skipped, Skipped{Path: p, Size: size})
			fmt.Fprintf(&gone, "%s\x00", p)
			continue
		}
		modes[i] = mode
		if werr == nil {
			fmt.Fprintf(w, "blob\nmark :%d\ndata %d\n", i+1, len(data))
			w.Write(data)
			_, werr = w.WriteString("\n")
		}
	}
	if werr == nil {
		w.WriteString("done\n")
		werr = w.Flush()
	}
	in.Close()
	if err := worktree.WaitOwn(ctx, cmd); err != nil || werr != nil {
		return nil, fmt.Errorf("failed to store the folder's files: %v: %s", errors.Join(err, werr), strings.TrimSpace(errb.String()))
	}
	ids, err := readMarks(marks)
	if err != nil {
		return nil, err
	}
	var info bytes.Buffer
	for i, p := range paths {
		if modes[i] == "" {
			continue
		}
		id, ok := ids[i+1]
		if !ok {
			return nil, fmt.Errorf("failed to store the folder's files: fast-import kept no object for %s", p)
		}
		fmt.Fprintf(&info, "%s %s\t%s\x00", modes[i], id, p)
	}
	if gone.Len() > 0 {
		if _, err := sh.git(ctx, gone.Bytes(), "update-index", "-z", "--force-remove", "--stdin"); err != nil {
			return nil, err
		}
	}
	if _, err := sh.git(ctx, info.Bytes(), "update-index", "-z", "--index-info"); err != nil {
		return nil, err
	}
	// Stat data for the new entries: a file changed since it was read
	// stays marked changed, and the next snapshot takes it.
	// With -q a changed or missing file is no failure.
	if _, err := sh.git(ctx, nil, "update-index", "-q", "--refresh"); err != nil {
		return nil, err
	}
	return skipped, nil
}

// readEntry reads the file or link at p without following it: its git
// mode and bytes (a link's bytes are its target). A file over maxFile
// gives an empty mode and its size; anything else (a folder, a FIFO, a
// path gone) an error.
func readEntry(p string, maxFile int64) (mode string, data []byte, size int64, err error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return "", nil, 0, err
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(p)
		return "120000", []byte(target), int64(len(target)), err
	case !fi.Mode().IsRegular():
		return "", nil, 0, fmt.Errorf("failed to read %s: not a file", p)
	case fi.Size() > maxFile:
		return "", nil, fi.Size(), nil
	}
	f, err := openNoFollow(p)
	if err != nil {
		return "", nil, 0, err
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return "", nil, 0, err
	}
	if int64(len(data)) > maxFile {
		return "", nil, int64(len(data)), nil
	}
	mode = "100644"
	if fi.Mode()&0o111 != 0 {
		mode = "100755"
	}
	return mode, data, int64(len(data)), nil
}

// readMarks reads fast-import's marks file (":N id" lines).
func readMarks(path string) (map[int]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to store the folder's files: %w", err)
	}
	ids := map[int]string{}
	for _, l := range strings.Split(string(b), "\n") {
		mark, id, ok := strings.Cut(l, " ")
		if n, err := strconv.Atoi(strings.TrimPrefix(mark, ":")); ok && err == nil {
			ids[n] = id
		}
	}
	return ids, nil
}

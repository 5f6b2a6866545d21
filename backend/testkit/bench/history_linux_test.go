package bench

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// dropCache asks the kernel to forget the cached pages of every file under
// dir, so that the next read of them is cold.
func dropCache(b *testing.B, dir string) {
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if f, err := os.Open(p); err == nil {
				err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
				f.Close()
				if err != nil {
					b.Fatalf("failed to drop %s from the page cache: %v", p, err)
				}
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}

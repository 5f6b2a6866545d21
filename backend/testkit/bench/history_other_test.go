//go:build !linux

package bench

import "testing"

// dropCache cannot empty the page cache here: runs after the first are warm.
func dropCache(b *testing.B, dir string) {}

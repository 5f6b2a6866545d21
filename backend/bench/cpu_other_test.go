//go:build !linux

package bench

import "time"

// CPU accounting is only read on Linux; elsewhere it reports nothing.
func cpuSelf() time.Duration      { return 0 }
func cpuOf(pid int) time.Duration { return 0 }

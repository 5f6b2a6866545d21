//go:build !linux

package bench

import "time"

// CPU accounting is only read on Linux; elsewhere it reports nothing.
func cpuSelf() time.Duration      { return 0 }
func cpuOf(pid int) time.Duration { return 0 }

// cpuTicks reports nothing off Linux.
func cpuTicks() (total, steal int64) { return 0, 0 }

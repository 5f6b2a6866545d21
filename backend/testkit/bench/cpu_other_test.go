//go:build !linux

package bench

import "time"

// CPU accounting is only read on Linux; elsewhere it reports nothing.
func cpuSelf() time.Duration      { return 0 }
func cpuOf(pid int) time.Duration { return 0 }

// cpuTicks and stealShare report nothing off Linux.
func cpuTicks() (total, steal int64)                          { return 0, 0 }
func stealShare(total0, steal0, total1, steal1 int64) float64 { return 0 }

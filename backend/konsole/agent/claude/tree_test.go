package claude

import (
	"slices"
	"syscall"
	"testing"
)

// On Windows the first step of a Stop that the CLI ignores asks it to end
// (Ctrl-Break), and every later step ends its whole Job object.
func TestWindowsEscalationBreaksFirstThenEndsTheJob(t *testing.T) {
	want := map[syscall.Signal]treeStep{syscall.SIGINT: stepBreak, syscall.SIGTERM: stepTerminate, syscall.SIGKILL: stepTerminate}
	for sig, step := range want {
		if got := windowsStep(sig); got != step {
			t.Errorf("windowsStep(%v) = %v, want %v", sig, got, step)
		}
	}
}

// The fallback without a Job object ends the tree below the CLI by force.
func TestTaskkillEndsTheWholeTreeByForce(t *testing.T) {
	if got := taskkillArgs(4242); !slices.Equal(got, []string{"/T", "/F", "/PID", "4242"}) {
		t.Fatalf("taskkill %q", got)
	}
}

//go:build linux

package claude

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// A tool process in its own session (as Claude Code starts its Bash tool)
// escapes signals to the agent's process group; reapTagged still finds it by
// the tag in its environment, and leaves untagged processes alone.
func TestReapTaggedKillsDetachedToolsOnly(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc here")
	}
	tag := newAgentTag()
	start := func(env []string) *exec.Cmd {
		cmd := exec.Command("sleep", "30")
		cmd.Env = env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	tagged := start(withTag([]string{"PATH=" + os.Getenv("PATH")}, tag))
	other := start(withTag([]string{"PATH=" + os.Getenv("PATH")}, newAgentTag()))
	plain := start(nil)
	// Until exec has replaced them, the children carry the test's own
	// environment: wait for each to be sleep.
	for _, c := range []*exec.Cmd{tagged, other, plain} {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c.Process.Pid)); string(cmdline) == "sleep\x0030\x00" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("process %d did not become sleep 30", c.Process.Pid)
			}
		}
	}
	killed := reapTagged(tag)
	if len(killed) != 1 || killed[0] != tagged.Process.Pid {
		t.Fatalf("killed %v, want only %d", killed, tagged.Process.Pid)
	}
	if err := tagged.Wait(); err == nil {
		t.Fatal("the tagged process exited cleanly instead of being killed")
	}
	for _, c := range []*exec.Cmd{other, plain} {
		if err := c.Process.Signal(syscall.Signal(0)); err != nil {
			t.Fatalf("an untagged process %d was touched: %v", c.Process.Pid, err)
		}
	}
}

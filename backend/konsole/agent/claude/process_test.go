//go:build unix

package claude

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary play a CLI (the helper-process pattern):
// Start runs it instead of Claude Code when KONUI_CLAUDE_HELPER is set.
func TestMain(m *testing.M) {
	if mode := os.Getenv("KONUI_CLAUDE_HELPER"); mode != "" {
		os.Exit(helperCLI(mode))
	}
	os.Exit(m.Run())
}

// helperCLI misbehaves in one chosen way:
//
//	orphan   starts a process in a session of its own that inherits stdout
//	         and stderr and sleeps 20 s (an MCP server or hook outliving the
//	         CLI), writes its pid and a result line, and exits 0
func helperCLI(mode string) int {
	switch mode {
	case "orphan":
		child := exec.Command("sleep", "20")
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Fprintf(os.Stderr, "orphan %d\n", child.Process.Pid)
		fmt.Println(`{"type":"result","subtype":"success","is_error":false,"result":"bye","total_cost_usd":0,"session_id":"helper"}`)
		return 0
	}
	return 2
}

// A CLI whose child inherits its stdout and stderr and outlives it: the
// process is done once the CLI has exited and its output is read, not
// when the child lets go of the pipes 20 s later; the child is killed.
func TestAProcessEndsWhenTheCLIExitsThoughAChildHoldsItsOutput(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p, err := Start(Options{Binary: exe, Dir: t.TempDir(), Env: append(os.Environ(), "KONUI_CLAUDE_HELPER=orphan")})
	if err != nil {
		t.Fatal(err)
	}
	var outs []Output
	for o := range p.Outputs() {
		outs = append(outs, o)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done did not close within 10 s of the CLI's exit")
	}
	took := time.Since(start)
	if took > ExitDrain+5*time.Second {
		t.Fatalf("Done closed after %v", took)
	}
	if len(outs) != 1 || outs[0].Kind != KindResult || outs[0].Result.Result != "bye" {
		t.Fatalf("outputs %+v: the line written before the exit was lost", outs)
	}
	if err := p.Err(); err != nil {
		t.Fatalf("Err = %v for a CLI that exited 0", err)
	}
	pidText, ok := strings.CutPrefix(p.StderrTail(), "orphan ")
	pid, _ := strconv.Atoi(pidText)
	if !ok || pid <= 0 {
		t.Fatalf("stderr %q", p.StderrTail())
	}
	// The kill is sent before Done closes; the kernel ends the process
	// soon after, later on a busy machine: wait for that, within a bound.
	for deadline := time.Now().Add(10 * time.Second); running(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the child %d that held the output still runs 10 s after Done", pid)
		}
	}
	t.Logf("done %v after the start", took)
}

// running tells whether pid runs: it exists and is no zombie (an orphan
// killed here is reaped by whoever adopted it, maybe later).
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

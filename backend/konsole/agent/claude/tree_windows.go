package claude

import (
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// tree is the CLI and every process it starts: on Windows, a Job object
// the CLI is put in right after it starts (its children join it by
// default). The job is made kill-on-close, so closing it, or the end of a
// Konsole that was killed, ends every process still in it: Windows' parent
// death signal. A child the CLI starts in the instant before it is
// assigned stays outside; taskkill of the tree is the fallback then.
type tree struct {
	pid int
	mu  sync.Mutex // guards job against release while signal uses it
	job windows.Handle
}

func newTree(pid int, lg *slog.Logger) *tree {
	t := &tree{pid: pid}
	job, err := newKillOnCloseJob(pid)
	if err != nil {
		lg.Warn("the agent's tools will be ended with taskkill instead", "pid", pid, "err", err)
		return t
	}
	t.job = job
	return t
}

// newKillOnCloseJob creates a Job object that ends its processes when its
// last handle closes, and puts pid in it.
func newKillOnCloseJob(pid int) (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("failed to create a job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return 0, fmt.Errorf("failed to make the job kill-on-close: %w", err)
	}
	p, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		windows.CloseHandle(job)
		return 0, fmt.Errorf("failed to open the agent process: %w", err)
	}
	defer windows.CloseHandle(p)
	if err := windows.AssignProcessToJobObject(job, p); err != nil {
		windows.CloseHandle(job)
		return 0, fmt.Errorf("failed to put the agent in a job object: %w", err)
	}
	return job, nil
}

// signal does the step of Escalate that sig stands for (windowsStep).
func (t *tree) signal(sig syscall.Signal) error {
	if windowsStep(sig) == stepBreak {
		if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(t.pid)); err != nil {
			return fmt.Errorf("failed to send Ctrl-Break to the agent: %w", err)
		}
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job == 0 {
		return signalGroup(t.pid, sig)
	}
	// A kernel call that returns at once: no I/O under the lock.
	if err := windows.TerminateJobObject(t.job, 1); err != nil {
		return fmt.Errorf("failed to end the agent's job object: %w", err)
	}
	return nil
}

// release closes the job once the CLI has exited: kill-on-close ends any
// tool it left running, as reapTagged does on Linux.
func (t *tree) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job != 0 {
		windows.CloseHandle(t.job)
		t.job = 0
	}
}

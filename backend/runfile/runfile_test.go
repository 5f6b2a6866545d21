//go:build unix

package runfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestWriteReadRemoveKeepsTheFilePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "konsole")
	want := Info{PID: os.Getpid(), URL: "https://127.0.0.1:7421", Listen: "127.0.0.1:7421", Version: "1.2.3",
		StartedAt: time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC), TokenFile: "/x/konsole-token"}
	if err := Write(dir, want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	got, ok, err := Read(dir)
	if err != nil || !ok {
		t.Fatalf("Read: ok=%v err=%v", ok, err)
	}
	if got != want {
		t.Fatalf("Read = %+v, want %+v", got, want)
	}
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Read(dir); ok || err != nil {
		t.Fatalf("after Remove: ok=%v err=%v", ok, err)
	}
	if err := Remove(dir); err != nil {
		t.Fatalf("a second Remove: %v", err)
	}
}

func TestAFileLeftByAProcessThatIsGoneReadsAsNone(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, Info{PID: cmd.Process.Pid, URL: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Read(dir); ok || err != nil {
		t.Fatalf("stale run file: ok=%v err=%v, want none", ok, err)
	}
}

func TestAFileLeftByAZombieReadsAsNone(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { cmd.Wait() })
	if err := Write(dir, Info{PID: pid, URL: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Read(dir); !ok || err != nil {
		t.Fatalf("a running process's file: ok=%v err=%v", ok, err)
	}
	// Killed, not reaped (cmd.Wait runs at cleanup): a zombie.
	cmd.Process.Signal(syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for !zombie(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d did not become a zombie", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if syscall.Kill(pid, 0) != nil {
		t.Fatal("kill(2) no longer answers for the zombie; the test proves nothing")
	}
	if _, ok, err := Read(dir); ok || err != nil {
		t.Fatalf("a zombie's run file: ok=%v err=%v, want none", ok, err)
	}
}

func TestRemoveIfOwnLeavesAnotherProcesssFile(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, Info{PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
	if err := RemoveIfOwn(dir, os.Getpid()+1); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := Read(dir); !ok {
		t.Fatal("RemoveIfOwn removed the file of another pid")
	}
	if err := RemoveIfOwn(dir, os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := Read(dir); ok {
		t.Fatal("RemoveIfOwn kept its own file")
	}
}

func TestAGarbledFileIsAnErrorNotAKonsole(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(Path(dir), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Read(dir); ok || err == nil {
		t.Fatalf("garbled: ok=%v err=%v", ok, err)
	}
}

func TestDefaultDataDirFollowsXDGDataHome(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data/home")
	d, err := DefaultDataDir()
	if err != nil || d != "/data/home/konui/konsole" {
		t.Fatalf("DefaultDataDir = %q, %v", d, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	d, err = DefaultDataDir()
	if err != nil || d != "/home/u/.local/share/konui/konsole" {
		t.Fatalf("DefaultDataDir = %q, %v", d, err)
	}
}

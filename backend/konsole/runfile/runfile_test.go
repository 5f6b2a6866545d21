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
	holdHere(t, dir)
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
	cmd := holdElsewhere(t, dir)
	pid := cmd.Process.Pid
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
	holdHere(t, dir)
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

// A Konsole killed by a crash leaves its run file; by the time it is read
// its pid may belong to another process. The data folder's lock decides.
func TestARunFileNamingAnotherLiveProcessReadsAsNoneUntilTheLockIsHeld(t *testing.T) {
	dir := t.TempDir()
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	for _, pid := range []int{other.Process.Pid, os.Getpid()} {
		if err := Write(dir, Info{PID: pid, URL: "http://127.0.0.1:1"}); err != nil {
			t.Fatal(err)
		}
		if !Alive(pid) {
			t.Fatalf("pid %d is not alive: the test proves nothing", pid)
		}
		if _, ok, err := Read(dir); ok || err != nil {
			t.Fatalf("run file naming live pid %d, no lock held: ok=%v err=%v, want none", pid, ok, err)
		}
		if running, err := Held(dir); running || err != nil {
			t.Fatalf("Held = %v, %v with no lock held", running, err)
		}
	}
	// Testing the lock did not take it: a Konsole can still lock the folder.
	holdElsewhere(t, dir)
	if i, ok, err := Read(dir); !ok || err != nil || i.PID != os.Getpid() {
		t.Fatalf("with the lock held: %+v ok=%v err=%v", i, ok, err)
	}
}

// holdHere takes the data folder's lock in this process, as a Konsole
// does, until the test ends.
func holdHere(t *testing.T, dir string) {
	t.Helper()
	f, err := os.OpenFile(LockPath(dir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

// holdElsewhere starts a process that holds the data folder's lock and
// returns once it does; the test reaps it at its end.
func holdElsewhere(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", `exec 9>"$1" && flock -x 9 && exec sleep 60`, "sh", LockPath(dir))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if running, _ := Held(dir); running {
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatal("the helper did not take the lock within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
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

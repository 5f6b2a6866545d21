package konsole_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/eventlog"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// mountTmpfs mounts a tmpfs of the given size (as "512k") on a new folder,
// unmounted when the test ends; it skips the test when mounting is not
// permitted (not root, or no CAP_SYS_ADMIN in a container).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to play a full disk (%v: %s); this test needs root with mount permitted", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("failed to unmount the tmpfs %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file in dir until the file system is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{64 << 10, 4 << 10, 512} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("filling %s: %v", dir, err)
				}
				break
			}
		}
	}
	return path
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestADataFolderThatCannotBeCreatedIsNamed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "konsole") // under a regular file: MkdirAll fails, root or not
	_, err := konsole.New(konsole.Config{Listen: "127.0.0.1:0", Token: "t", DataDir: dir, Claude: "false", Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("konsole.New on %s = %v; want an error naming the folder", dir, err)
	}
	t.Logf("error: %v", err)
}

func TestAFullDiskAtStartIsNamed(t *testing.T) {
	mnt := mountTmpfs(t, "512k")
	fill(t, mnt)
	dir := filepath.Join(mnt, "konsole")
	srv, err := konsole.New(konsole.Config{Listen: "127.0.0.1:0", Token: "t", DataDir: dir, Claude: "false", Logger: quietLogger()})
	if err == nil {
		srv.Close()
		t.Fatal("konsole.New succeeded on a full disk")
	}
	if !strings.Contains(err.Error(), dir) {
		t.Fatalf("konsole.New on a full disk = %v; want an error naming %s", err, dir)
	}
	t.Logf("error: %v", err)
}

// TestDiskFullWhileRunning fills the disk under a running Konsole: the log
// stops accepting events instead of pretending, the routes that start work
// answer 503 storage_unavailable naming the folder, and once space comes back
// writing resumes with every acknowledged event there, once.
func TestDiskFullWhileRunning(t *testing.T) {
	mnt := mountTmpfs(t, "2m")
	dir := filepath.Join(mnt, "konsole")
	h := kt.Start(t, kt.Options{DataDir: dir, Claude: "false"})
	_, sess := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work})
	sid := sess["id"].(string)
	if status, k := h.Do("POST", "/v1/kontasks", map[string]any{"title": "before the disk fills"}); status != 201 {
		t.Fatalf("kontask before: %d %v", status, k)
	}
	st := h.Events(0)
	lg := h.Server.Log()
	acked := map[int64]bool{}
	payload := strings.Repeat("x", 8<<10)

	filler := fill(t, mnt)
	var refused error
	for deadline := time.Now().Add(20 * time.Second); refused == nil; {
		if time.Now().After(deadline) {
			t.Fatalf("the log still accepts events on a full disk after %d", len(acked))
		}
		ev, err := lg.Append(contract.EvTextDelta, sid, "disk-full-turn", map[string]any{"text": payload})
		if err != nil {
			refused = err
			break
		}
		acked[ev.ID] = true
		time.Sleep(2 * time.Millisecond)
	}
	if !errors.Is(refused, eventlog.ErrStorage) || lg.Failing() == nil {
		t.Fatalf("Append on a full disk = %v (Failing %v)", refused, lg.Failing())
	}
	t.Logf("full after %d acknowledged events: %v", len(acked), refused)

	for _, c := range []struct{ path string }{{"/v1/kontasks"}, {"/v1/sessions"}, {"/v1/sessions/" + sid + "/prompt"}} {
		body := map[string]any{"title": "while full", "cwd": h.Work, "text": "hello"}
		status, r := h.Do("POST", c.path, body)
		if status != 503 || r["code"] != konsole.CodeStorage || !strings.Contains(r["error"].(string), dir) {
			t.Fatalf("POST %s on a full disk = %d %v; want 503 %s naming %s", c.path, status, r, konsole.CodeStorage, dir)
		}
	}
	if status, _ := h.Do("GET", "/v1/sessions/"+sid, nil); status != 200 {
		t.Fatalf("reading still works on a full disk: GET session = %d", status)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); lg.Failing() != nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the log did not recover once space came back: %v", lg.Failing())
		}
	}
	ev, err := lg.Append(contract.EvTextDelta, sid, "disk-full-turn", map[string]any{"text": "after"})
	if err != nil {
		t.Fatalf("Append after recovery: %v", err)
	}
	acked[ev.ID] = true
	lg.Flush()
	if status, k := h.Do("POST", "/v1/kontasks", map[string]any{"title": "after the disk had room again"}); status != 201 {
		t.Fatalf("kontask after recovery: %d %v", status, k)
	}

	var check string
	if err := h.Server.Store().DB().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	log := readLog(t, h)
	inLog := map[int64]bool{}
	for _, e := range log {
		inLog[e.ID] = true
	}
	for id := range acked {
		if !inLog[id] {
			t.Fatalf("acknowledged event %d is not in the log", id)
		}
	}
	last := log[len(log)-1].ID
	got := st.Until(t, 20*time.Second, func(e kt.Event) bool { return e.ID >= last })
	lost, dup := tallyStream(got, log)
	t.Logf("tally: %d acknowledged events all in the log (%d events); the stream lost %d, duplicated %d", len(acked), len(log), lost, dup)
	if lost != 0 || dup != 0 {
		t.Fatalf("the stream lost %d and duplicated %d", lost, dup)
	}
}

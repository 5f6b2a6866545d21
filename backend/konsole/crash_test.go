package konsole_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

const crashWriterToken = "crash-writer-token"

// crashWriter is the child of TestSQLiteKilledDuringWrites (TestMain runs it
// when KONUI_CRASH_WRITER names a data folder): a Konsole whose agent never
// starts, written to as fast as it goes until it is killed. Each kontask id
// is printed once POST /v1/kontasks answered 201, each event id once
// Log.Flush says it is committed: what a client saw acknowledged.
func crashWriter(dir string) int {
	srv, err := konsole.New(konsole.Config{Listen: "127.0.0.1:0", Token: crashWriterToken, DataDir: dir,
		Claude: "false", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := srv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var outMu sync.Mutex
	ack := func(kind string, id any) {
		outMu.Lock()
		fmt.Fprintf(os.Stdout, "%s %v\n", kind, id)
		outMu.Unlock()
	}
	go func() { // events, in batches of 10, acknowledged after the flush
		for i := 0; ; i++ {
			var ids []int64
			for j := 0; j < 10; j++ {
				ev, err := srv.Log().Append(contract.EvTextDelta, "crash-session", "crash-turn", map[string]any{"text": fmt.Sprintf("w%d.%d ", i, j)})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				ids = append(ids, ev.ID)
			}
			srv.Log().Flush()
			for _, id := range ids {
				ack("E", id)
			}
		}
	}()
	for i := 0; ; i++ {
		body, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("crash kontask %d", i), "output": strings.Repeat("<p>row</p>", 50)})
		req, _ := http.NewRequest("POST", srv.URL()+"/v1/kontasks", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+crashWriterToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		var k struct{ ID string }
		json.NewDecoder(resp.Body).Decode(&k)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || k.ID == "" {
			fmt.Fprintf(os.Stderr, "create kontask: %d\n", resp.StatusCode)
			return 2
		}
		ack("K", k.ID)
	}
}

// TestSQLiteKilledDuringWrites kills -9 a Konsole in the middle of its
// writes, several times over one data folder, and reopens it each time: the
// database passes PRAGMA integrity_check, every acknowledged kontask is
// there and every acknowledged event is replayed.
func TestSQLiteKilledDuringWrites(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cycles := 5
	if n, err := strconv.Atoi(os.Getenv("KONUI_CRASH_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	kontasks := map[string]bool{}
	events := map[int64]bool{}
	start := time.Now()
	for c := 0; c < cycles; c++ {
		// Kill once a few more dozen kontasks are acknowledged (events come
		// faster, by hundreds), at a moment that differs from cycle to cycle.
		killAfter := 20 + 10*c + rand.IntN(10)
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "KONUI_CRASH_WRITER="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rd := bufio.NewReader(out)
		acked, kAcked := 0, 0
		deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
		for kAcked < killAfter {
			line, err := rd.ReadString('\n')
			if err != nil { // a line cut short was never acknowledged
				deadline.Stop()
				cmd.Wait()
				t.Fatalf("cycle %d: the writer ended after %d acknowledgements: %v; stderr: %s", c, acked, err, stderr.String())
			}
			kind, id, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
			switch kind {
			case "K":
				kontasks[id] = true
				kAcked++
			case "E":
				n, err := strconv.ParseInt(id, 10, 64)
				if err != nil {
					t.Fatalf("bad line %q", line)
				}
				events[n] = true
			default:
				t.Fatalf("bad line %q", line)
			}
			acked++
		}
		cmd.Process.Signal(syscall.SIGKILL)
		deadline.Stop()
		io.Copy(io.Discard, rd) // lines after the kill decision do not count
		cmd.Wait()

		h := kt.Start(t, kt.Options{DataDir: dir, Claude: "false"})
		var check string
		if err := h.Server.Store().DB().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("cycle %d: integrity_check = %q, %v", c, check, err)
		}
		for id := range kontasks {
			if status, k := h.Do("GET", "/v1/kontasks/"+id, nil); status != 200 || k["id"] != id {
				t.Fatalf("cycle %d: acknowledged kontask %s: %d %v", c, id, status, k)
			}
		}
		replayed := map[int64]int{}
		last := h.Server.Log().LastID()
		st := h.Events(0)
		for _, e := range st.Until(t, 30*time.Second, func(e kt.Event) bool { return e.ID >= last }) {
			replayed[e.ID]++
		}
		st.Close()
		for id := range events {
			if replayed[id] != 1 {
				t.Fatalf("cycle %d: acknowledged event %d replayed %d times", c, id, replayed[id])
			}
		}
		t.Logf("cycle %d: killed after %d acknowledgements; %d kontasks and %d events acknowledged so far, all there; %d events in the log; integrity ok",
			c, acked, len(kontasks), len(events), len(replayed))
		h.Server.Close()
	}
	t.Logf("%d kill -9 cycles in %s", cycles, time.Since(start).Round(time.Millisecond))
}

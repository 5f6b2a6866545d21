package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/testkit/konsoletest"
)

// The load and soak tests run only with KONUI_LOAD=1 (scripts/load.sh):
// they take minutes and many Claude Code processes.
func needLoad(t *testing.T) {
	if os.Getenv("KONUI_LOAD") != "1" {
		t.Skip("load and soak tests run with KONUI_LOAD=1: use scripts/load.sh")
	}
}

// loadRig is one Konsole with the real CLI on the fake API and one bridge.
type loadRig struct {
	h     *konsoletest.Harness
	br    *bridge.Bridge
	wsURL string
}

func startRig(t *testing.T) *loadRig { return startRigWith(t, "", 0) }

// externalFakeAPI builds and starts the fake Messages API as a process of
// its own and returns its URL.
func externalFakeAPI(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "fakeapi")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/konui/konui/backend/testkit/fakeapi/cmd/fakeapi").CombinedOutput(); err != nil {
		t.Fatalf("build the fake API: %v: %s", err, out)
	}
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the fake API printed no URL: %v", err)
	}
	return strings.TrimSpace(line)
}

// startRigWith uses the fake API at apiURL when it is not empty, and
// Konsole keeps keep events for replay (its default when keep is 0).
func startRigWith(t *testing.T, apiURL string, keep int64) *loadRig {
	o := konsoletest.Options{}
	if apiURL != "" {
		o.Home = t.TempDir()
	}
	o.Configure = func(c *konsole.Config) {
		if apiURL != "" {
			c.Env = konsoletest.AgentEnv(o.Home, apiURL)
		}
		c.KeepEvents = keep
	}
	h := konsoletest.Start(t, o)
	br, srv := startBridge(t, h, "load-token")
	return &loadRig{h: h, br: br, wsURL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/console/ws?token=load-token"}
}

// wsClient reads every frame of one WebSocket client and checks it.
type wsClient struct {
	conn    *websocket.Conn
	mu      sync.Mutex
	last    int64 // seq of the last seq-bearing frame
	gaps    int   // frames whose seq was not last+1
	resyncs int
	ids     map[int64]int // Konsole event id -> times received; nil in compact mode
	maxID   int64
	err     error
	// Compact mode (the soak, whose own bookkeeping must not grow): the
	// first id, the count and the ids that did not follow the previous one.
	firstID, count int64
	idGaps         int
}

func (r *loadRig) dial(t *testing.T, name string) *wsClient {
	return r.dialMode(t, name, false)
}

func (r *loadRig) dialMode(t *testing.T, name string, compact bool) *wsClient {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, r.wsURL+"&clientId="+name, nil)
	if err != nil {
		t.Fatalf("client %s: %v", name, err)
	}
	conn.SetReadLimit(64 << 20)
	c := &wsClient{conn: conn, last: -1}
	if !compact {
		c.ids = map[int64]int{}
	}
	t.Cleanup(func() { conn.CloseNow() })
	go c.read()
	return c
}

func (c *wsClient) read() {
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		var f struct {
			Type  string `json:"type"`
			Seq   int64  `json:"seq"`
			Event struct {
				ID int64 `json:"id"`
			} `json:"event"`
		}
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		c.mu.Lock()
		switch f.Type {
		case "hello":
			c.last = f.Seq
		case "event", "resync":
			if c.last >= 0 && f.Seq != c.last+1 {
				c.gaps++
			}
			c.last = f.Seq
			if f.Type == "resync" {
				c.resyncs++
			} else {
				if c.ids != nil {
					c.ids[f.Event.ID]++
				}
				if c.count == 0 {
					c.firstID = f.Event.ID
				} else if f.Event.ID != c.maxID+1 {
					c.idGaps++
				}
				c.count++
				c.maxID = max(c.maxID, f.Event.ID)
			}
		}
		c.mu.Unlock()
	}
}

// tally compares what the client got with the events of the log after base.
func (c *wsClient) tally(log []int64) (lost, dup int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil { // compact: every id once, in order, from the first to the last
		n := int64(len(log))
		if c.idGaps > 0 || len(log) > 0 && (c.firstID != log[0] || c.maxID != log[len(log)-1]) {
			return max(int(n-c.count), 1), max(int(c.count-n), 0)
		}
		return max(int(n-c.count), 0), max(int(c.count-n), 0)
	}
	for _, id := range log {
		switch n := c.ids[id]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	return lost, dup
}

// traffic keeps sessions busy with prompt until stop is closed, sending the
// next prompt as soon as a turn ends; it returns the number of turns sent.
func (r *loadRig) traffic(t *testing.T, n int, prompt string, stop <-chan struct{}) func() int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	turns := 0
	for i := 0; i < n; i++ {
		sid := r.h.CreateSession()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, s := r.h.Do("GET", "/v1/sessions/"+sid, nil)
				if status == 200 && s["status"] != sessions.StatusRunning && s["status"] != sessions.StatusStarting && s["status"] != sessions.StatusStopping {
					if st, _ := r.h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": prompt}); st == 202 {
						mu.Lock()
						turns++
						mu.Unlock()
					}
				}
				select {
				case <-stop:
					return
				case <-time.After(250 * time.Millisecond):
				}
			}
		}()
	}
	return func() int {
		wg.Wait()
		// Stop what still runs, and wait for every session to be idle.
		for _, s := range r.h.Server.Manager().List() {
			if s.Status == sessions.StatusRunning {
				r.h.Do("POST", "/v1/sessions/"+s.ID+"/stop", nil)
			}
		}
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			busy := 0
			for _, s := range r.h.Server.Manager().List() {
				if s.Status == sessions.StatusRunning || s.Status == sessions.StatusStopping || s.Status == sessions.StatusStarting {
					busy++
				}
			}
			if busy == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d sessions still busy a minute after the traffic stopped", busy)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return turns
	}
}

// logIDs reads the ids of every event of Konsole's log after base, through
// GET /v1/events?since=base, up to the newest one.
func (r *loadRig) logIDs(t *testing.T, base int64) []int64 {
	r.h.Server.Log().Flush()
	last := r.h.Server.Log().LastID()
	st := r.h.Events(base)
	defer st.Close()
	var ids []int64
	if last <= base {
		return nil
	}
	for _, e := range st.Until(t, 60*time.Second, func(e konsoletest.Event) bool { return e.ID >= last }) {
		ids = append(ids, e.ID)
	}
	return ids
}

func loadReport(text string) {
	path := os.Getenv("KONUI_LOAD_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	f.WriteString(text)
}

// TestLoad: 50 WebSocket clients on one bridge, 20 sessions streaming at
// once on one Konsole (real CLI, fake API) for 60 s, each turn restarted as
// it ends; every client must get every Konsole event exactly once, in a
// contiguous seq. Knobs: KONUI_LOAD_CLIENTS, KONUI_LOAD_SESSIONS,
// KONUI_LOAD_SECONDS, KONUI_LOAD_PROMPT.
func TestLoad(t *testing.T) {
	needLoad(t)
	clients := envInt("KONUI_LOAD_CLIENTS", 50)
	sessions := envInt("KONUI_LOAD_SESSIONS", 20)
	secs := envInt("KONUI_LOAD_SECONDS", 60)
	prompt := os.Getenv("KONUI_LOAD_PROMPT")
	if prompt == "" {
		prompt = "[[long 1000 20]]" // 20 s turns: each session restarts a few times in 60 s
	}
	r := startRig(t)
	base := r.h.Server.Log().LastID()
	var cs []*wsClient
	for i := 0; i < clients; i++ {
		cs = append(cs, r.dial(t, fmt.Sprintf("load-%d", i)))
	}
	time.Sleep(500 * time.Millisecond) // every hello read
	stop := make(chan struct{})
	start := time.Now()
	done := r.traffic(t, sessions, prompt, stop)
	time.Sleep(time.Duration(secs) * time.Second)
	close(stop)
	turns := done()
	elapsed := time.Since(start)
	ids := r.logIDs(t, base)
	last := ids[len(ids)-1]
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		behind := 0
		for _, c := range cs {
			c.mu.Lock()
			if c.maxID < last && c.err == nil {
				behind++
			}
			c.mu.Unlock()
		}
		if behind == 0 || time.Now().After(deadline) {
			break
		}
	}
	totalLost, totalDup, totalGaps, totalResyncs, failed := 0, 0, 0, 0, 0
	for i, c := range cs {
		lost, dup := c.tally(ids)
		c.mu.Lock()
		gaps, resyncs, err := c.gaps, c.resyncs, c.err
		c.mu.Unlock()
		totalLost += lost
		totalDup += dup
		totalGaps += gaps
		totalResyncs += resyncs
		if lost+dup+gaps+resyncs > 0 || err != nil {
			failed++
			t.Errorf("client %d: lost %d, duplicated %d, seq gaps %d, resyncs %d, error %v", i, lost, dup, gaps, resyncs, err)
		}
	}
	rate := float64(len(ids)) / elapsed.Seconds()
	summary := fmt.Sprintf("%d clients, %d sessions, %s: %d turns sent, %d Konsole events (%.0f/s), %d frames delivered in all; lost %d, duplicated %d, seq gaps %d, resyncs %d, clients failing %d",
		clients, sessions, elapsed.Round(time.Second), turns, len(ids), rate, len(ids)*clients, totalLost, totalDup, totalGaps, totalResyncs, failed)
	t.Log(summary)
	loadReport(fmt.Sprintf("\n### Load (%s)\n\n%d WebSocket clients on one bridge, %d sessions streaming `%s` at once on one Konsole (the real CLI on the fake API), each turn restarted as it ended, for %s.\n\n| turns | Konsole events | events/s | frames delivered | lost | duplicated | seq gaps | resyncs | result |\n|---|---|---|---|---|---|---|---|---|\n| %d | %d | %.0f | %d | %d | %d | %d | %d | %s |\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), clients, sessions, prompt, elapsed.Round(time.Second),
		turns, len(ids), rate, len(ids)*clients, totalLost, totalDup, totalGaps, totalResyncs, verdict(failed == 0)))
}

// memSample is one look at the memory of this process, which runs Konsole
// and the bridge: the Go heap in use after a collection; VmRSS as found,
// which swings with how far the collector's cycle has gone and how much
// free memory its scavenger has handed back yet; and the retained resident
// set, VmRSS once the collector has returned every free page to the OS
// (debug.FreeOSMemory), which is what a leak makes grow, with the share of
// it that the Go runtime accounts for (the rest is SQLite's own memory and
// the mapped binary).
type memSample struct {
	at         time.Duration
	heap       uint64
	rss        uint64
	retained   uint64
	goRuntime  uint64
	goroutines int
}

func sampleMem(start time.Time) memSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := memSample{at: time.Since(start), heap: ms.HeapInuse, rss: procStatus()["VmRSS"], goroutines: runtime.NumGoroutine()}
	debug.FreeOSMemory()
	s.retained = procStatus()["VmRSS"]
	runtime.ReadMemStats(&ms)
	s.goRuntime = ms.Sys - ms.HeapReleased
	return s
}

// procStatus reads the kB fields of /proc/self/status, in bytes.
func procStatus() map[string]uint64 {
	out := map[string]uint64{}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		v = strings.TrimSpace(v)
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(v, " kB"), 10, 64)
		if err == nil {
			out[k] = kb << 10
		}
	}
	return out
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// TestSoak: a warm-up of 5 minutes (KONUI_SOAK_WARMUP_MINUTES), then 10
// minutes (KONUI_SOAK_MINUTES) of the same steady traffic, sampling memory
// every 10 s (see memSample). Over the 10 minutes neither the Go heap in
// use, nor the memory the Go runtime holds, nor the retained resident set
// may grow by more than 10%: the median of the last minute against the
// median of the first. Traffic: KONUI_SOAK_SESSIONS (5) sessions,
// KONUI_SOAK_CLIENTS (10) WebSocket clients.
func TestSoak(t *testing.T) {
	needLoad(t)
	minutes := envInt("KONUI_SOAK_MINUTES", 10)
	warm := envInt("KONUI_SOAK_WARMUP_MINUTES", 5)
	sessions := envInt("KONUI_SOAK_SESSIONS", 5)
	clients := envInt("KONUI_SOAK_CLIENTS", 10)
	prompt := "[[long 1000 20]]"
	// The fake API keeps every request it saw, and the checks of a client
	// could keep every id: both would grow with the traffic in this process
	// and be measured as a leak. So the fake API runs in its own process and
	// the clients check in constant memory.
	r := startRigWith(t, externalFakeAPI(t), int64(envInt("KONUI_SOAK_KEEP_EVENTS", 0)))
	base := r.h.Server.Log().LastID()
	var cs []*wsClient
	for i := 0; i < clients; i++ {
		cs = append(cs, r.dialMode(t, fmt.Sprintf("soak-%d", i), true))
	}
	stop := make(chan struct{})
	start := time.Now()
	done := r.traffic(t, sessions, prompt, stop)
	var samples []memSample
	tick := time.NewTicker(10 * time.Second)
	for time.Since(start) < time.Duration(warm+minutes)*time.Minute {
		<-tick.C
		s := sampleMem(start)
		samples = append(samples, s)
		t.Logf("%s: heap in use %s, VmRSS %s, retained %s (Go runtime %s), %d goroutines", s.at.Round(time.Second), mib(s.heap), mib(s.rss), mib(s.retained), mib(s.goRuntime), s.goroutines)
	}
	tick.Stop()
	close(stop)
	turns := done()
	// The soak writes more events than the log keeps (100,000), so the
	// clients are not compared with a replay of the log: each must have got
	// consecutive event ids and seqs, without resync, up to the newest event.
	r.h.Server.Log().Flush()
	newest := r.h.Server.Log().LastID()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		behind := 0
		for _, c := range cs {
			c.mu.Lock()
			if c.maxID < newest && c.err == nil {
				behind++
			}
			c.mu.Unlock()
		}
		if behind == 0 {
			break
		}
	}
	events := newest - base

	// Growth compares the median of the first minute after the warm-up
	// with the median of the last minute: a median of six samples is not
	// moved by one sample taken at the top or the bottom of a GC cycle.
	var after []memSample
	for _, s := range samples {
		if s.at > time.Duration(warm)*time.Minute {
			after = append(after, s)
		}
	}
	const window = 6 // samples: one minute
	if len(after) < 2*window {
		t.Fatalf("only %d samples after the warm-up: run longer", len(after))
	}
	first, lastW := after[:window], after[len(after)-window:]
	type measure struct {
		name     string
		of       func(memSample) uint64
		ruled    bool
		from, to uint64
		growth   float64
	}
	ms := []*measure{
		{name: "Go heap in use", of: func(s memSample) uint64 { return s.heap }, ruled: true},
		{name: "Go runtime's memory", of: func(s memSample) uint64 { return s.goRuntime }, ruled: true},
		{name: "retained resident set", of: func(s memSample) uint64 { return s.retained }, ruled: true},
		{name: "VmRSS as found", of: func(s memSample) uint64 { return s.rss }},
	}
	ok := true
	var growth []string
	for _, m := range ms {
		m.from, m.to = medianOf(first, m.of), medianOf(lastW, m.of)
		m.growth = float64(m.to)/float64(m.from) - 1
		if m.ruled && m.growth > 0.10 {
			ok = false
		}
		growth = append(growth, fmt.Sprintf("%s %s -> %s (%+.1f%%)", m.name, mib(m.from), mib(m.to), 100*m.growth))
	}
	lostAll := 0
	for i, c := range cs {
		c.mu.Lock()
		bad := c.gaps + c.idGaps + c.resyncs
		if c.maxID != newest || c.err != nil {
			bad++
		}
		if bad > 0 {
			t.Errorf("soak client %d: seq gaps %d, id gaps %d, resyncs %d, last id %d of %d, error %v", i, c.gaps, c.idGaps, c.resyncs, c.maxID, newest, c.err)
		}
		c.mu.Unlock()
		lostAll += bad
	}
	ok = ok && lostAll == 0
	cell := func(m *measure) string {
		return fmt.Sprintf("%s -> %s (%+.1f%%)", mib(m.from), mib(m.to), 100*m.growth)
	}
	summary := fmt.Sprintf("%d min after the warm-up, %d sessions, %d clients: %d turns, %d events; %s; client faults (gaps, resyncs, short) %d",
		minutes, sessions, clients, turns, events, strings.Join(growth, ", "), lostAll)
	t.Log(summary)
	var rows strings.Builder
	for _, s := range samples {
		fmt.Fprintf(&rows, "| %s | %s | %s | %s | %s |\n", s.at.Round(time.Second), mib(s.heap), mib(s.rss), mib(s.retained), mib(s.goRuntime))
	}
	loadReport(fmt.Sprintf("\n### Soak (%s)\n\nA %d-minute warm-up, then %d minutes of the same steady traffic (%d sessions streaming `%s`, restarted as they end; %d WebSocket clients) through one Konsole and one bridge in one process, sampled every 10 s: the Go heap in use after a collection; the memory the Go runtime holds from the OS (`Sys - HeapReleased`) once it has handed every free page back (`debug.FreeOSMemory`); the retained resident set, VmRSS at that moment, which is what any leak, in Go or in SQLite, makes grow; and VmRSS as found before it, which swings by a fifth between samples with how far the collector's cycle has gone and is shown but not ruled on. Growth compares the median of the first minute after the warm-up with the median of the last minute; the limit is 10%%. (The warm-up covers the bridge's replay buffer of 20,000 frames filling. The Go runtime's memory is flat from the second minute on, while the retained resident set may still rise for some minutes outside it, in SQLite's allocator or pages of the binary, until the event log has reached the events it keeps; see the samples.)\n\n| turns | events | Go heap in use | Go runtime's memory | retained resident set | VmRSS as found | client faults | result |\n|---|---|---|---|---|---|---|---|\n| %d | %d | %s | %s | %s | %s | %d | %s |\n\n<details><summary>samples</summary>\n\n| at | Go heap in use | VmRSS as found | retained resident set | Go runtime's memory |\n|---|---|---|---|---|\n%s\n</details>\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), warm, minutes, sessions, prompt, clients, turns, events,
		cell(ms[0]), cell(ms[1]), cell(ms[2]), cell(ms[3]), lostAll, verdict(ok), rows.String()))
	if !ok {
		t.Fatalf("soak failed: %s", summary)
	}
}

// medianOf returns the median of f over the samples (the upper one of the
// middle two for an even count).
func medianOf(ss []memSample, f func(memSample) uint64) uint64 {
	v := make([]uint64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

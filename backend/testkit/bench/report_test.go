package bench

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ---- distributions ----

// dist is a sample of durations.
type dist []time.Duration

// pct returns the p-th percentile by nearest rank (p in 0..100): the
// smallest sample with at least p% of the samples at or below it. With
// fewer than 100 samples p99 is therefore the maximum.
// median is the middle sample, or the mean of the middle two.
func (d dist) median() time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append(dist(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (d dist) pct(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append(dist(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(s) {
		rank = len(s)
	}
	return s[rank-1]
}

func (d dist) max() time.Duration { return d.pct(100) }

// median of float samples.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minMax(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	lo, hi = xs[0], xs[0]
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// ms formats a duration in milliseconds with a precision that suits it.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.3f ms", v)
	}
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ratio formats a/b.
func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// rate formats events per second.
func rate(v float64) string {
	switch {
	case v >= 100_000:
		return fmt.Sprintf("%.0fk/s", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.1fk/s", v/1000)
	default:
		return fmt.Sprintf("%.0f/s", v)
	}
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// ---- the report ----

// target is one line of the summary: a figure against its target.
type target struct {
	Figure, Target, Measured, Result string
}

// section is what one benchmark adds to the report.
type section struct {
	Title   string
	Body    string
	Targets []target
	Load    string // load average when the benchmark started
}

var report = struct {
	sync.Mutex
	sections map[string]section
	started  time.Time
	loadAt   string
}{sections: map[string]section{}}

// order of the sections in the report.
var sectionOrder = []string{"cold-start", "warm", "stop", "eventlog", "event-writes", "bridge-latency", "bridge-sustained", "bridge-fleet", "history", "search", "changes", "checkpoint"}

// sectionLoad is the load average when each benchmark started.
var sectionLoad = map[string]string{}

// started notes the load as a benchmark starts.
func started(key string) {
	report.Lock()
	defer report.Unlock()
	sectionLoad[key] = loadavg()
}

func addSection(key string, s section) {
	if s.Load == "" {
		s.Load = sectionLoad[key]
	}
	report.Lock()
	defer report.Unlock()
	report.sections[key] = s
}

// writeReport writes the Markdown report to path when any benchmark ran.
func writeReport(path string) error {
	report.Lock()
	defer report.Unlock()
	if len(report.sections) == 0 {
		return nil
	}
	var b strings.Builder
	m := machine()
	fmt.Fprintf(&b, "## Machine\n\n")
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| date | %s (run took %s) |\n", report.started.UTC().Format("2006-01-02 15:04 MST"), time.Since(report.started).Round(time.Second))
	fmt.Fprintf(&b, "| CPU | %s |\n", m.cpu)
	fmt.Fprintf(&b, "| cores | %d logical (GOMAXPROCS %d) |\n", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(&b, "| RAM | %s |\n", m.ram)
	fmt.Fprintf(&b, "| OS | %s %s, kernel %s |\n", runtime.GOOS, runtime.GOARCH, m.kernel)
	fmt.Fprintf(&b, "| Go | %s |\n", runtime.Version())
	fmt.Fprintf(&b, "| Claude Code CLI | %s |\n", m.claude)
	fmt.Fprintf(&b, "| load average (1, 5, 15 min) | %s at the start, %s at the end |\n\n", report.loadAt, loadavg())
	fmt.Fprintf(&b, "The load averages include the benchmarks' own work, which keeps up to about two cores busy; each section gives the load when it started. A 1-minute load well above the number of cores means other work shared the machine, and tails (p99, max) suffer first.")
	if busiest := maxLoad1(); busiest > 2*float64(runtime.NumCPU()) {
		fmt.Fprintf(&b, " **In this run the load reached %.1f on %d cores**: expect noisier figures than on a quiet machine.", busiest, runtime.NumCPU())
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "## Summary\n\n| figure | target | measured | result |\n|---|---|---|---|\n")
	for _, k := range sectionOrder {
		s, ok := report.sections[k]
		if !ok {
			continue
		}
		for _, t := range s.Targets {
			fmt.Fprintf(&b, "| %s | %s | %s | **%s** |\n", t.Figure, t.Target, t.Measured, t.Result)
		}
	}
	b.WriteString("\n")
	for _, k := range sectionOrder {
		s, ok := report.sections[k]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n", s.Title, strings.TrimSpace(s.Body)+"\n")
		if s.Load != "" {
			fmt.Fprintf(&b, "Load average (1, 5, 15 min) when this benchmark started: %s.\n\n", s.Load)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

type machineInfo struct{ cpu, ram, kernel, claude string }

func machine() machineInfo {
	m := machineInfo{cpu: "unknown", ram: "unknown", kernel: "unknown", claude: "not found"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) >= 2 && fields[0] == "MemTotal:" {
				if kb, err := strconv.ParseFloat(fields[1], 64); err == nil {
					m.ram = fmt.Sprintf("%.1f GiB", kb/1024/1024)
				}
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if p := claudePath(); p != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, p, "--version").Output(); err == nil {
			m.claude = strings.TrimSpace(string(out))
		}
	}
	return m
}

// maxLoad1 is the highest 1-minute load average noted (caller holds report).
func maxLoad1() float64 {
	loads := []string{report.loadAt, loadavg()}
	for _, l := range sectionLoad {
		loads = append(loads, l)
	}
	var m float64
	for _, l := range loads {
		if f := strings.Fields(l); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil && v > m {
				m = v
			}
		}
	}
	return m
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// claudePath is the pinned CLI (as konsoletest finds it), or "" when absent.
func claudePath() string {
	if p := os.Getenv("KONUI_TEST_CLAUDE"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", ".tools", "claude", "node_modules", ".bin", "claude")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// ---- knobs ----

// envInt reads a positive integer setting, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// envInts reads a comma-separated list of positive integers, or def.
func envInts(name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return def
		}
		out = append(out, n)
	}
	return out
}

package bench

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/history"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// BenchmarkHistoryListing measures GET /v1/history's work: listing 1,000
// conversation files of the CLI (KONUI_BENCH_HISTORY_FILES) in 50 folders,
// each a copy of a conversation the real CLI wrote (three turns, one with a
// tool call), with the files' pages dropped from the page cache before each
// run (cold), beside a plain directory walk (names and sizes) and a walk
// that reads every byte, in the same rounds (KONUI_BENCH_HISTORY_ROUNDS, 5).
func BenchmarkHistoryListing(b *testing.B) {
	started("history")
	if claudePath() == "" {
		addSection("history", section{Title: "History: listing the CLI's conversations",
			Body:    "Not measured: the Claude Code CLI is not installed (run `make setup`).",
			Targets: []target{{"history listing of 1,000 files, cold", "< 1 s", "not measured (no CLI)", "MISS"}}})
		b.Skip("the Claude Code CLI is not installed: run make setup")
	}
	n, rounds := envInt("KONUI_BENCH_HISTORY_FILES", 1000), envInt("KONUI_BENCH_HISTORY_ROUNDS", 5)
	h := kt.Start(b, kt.Options{})
	st := h.Events(-1)
	sid := h.CreateSession()
	for _, p := range []string{"look at the parser please", "[[bash: echo from-a-tool]] and run this", "thanks"} {
		st.Until(b, 60*time.Second, kt.TurnCompleted(h.Prompt(sid, p)))
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	src, err := history.Find(h.Home, s["agentSessionId"].(string))
	if err != nil {
		b.Fatal(err)
	}
	tmpl, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	home := b.TempDir()
	var total int64
	for i := 0; i < n; i++ {
		dir := filepath.Join(history.Dir(home), fmt.Sprintf("-src-project-%02d", i%50))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		body := strings.ReplaceAll(string(tmpl), s["agentSessionId"].(string), id)
		if err := os.WriteFile(filepath.Join(dir, id+".jsonl"), []byte(body), 0o600); err != nil {
			b.Fatal(err)
		}
		total += int64(len(body))
	}
	var list, walk, read []float64
	for r := 0; r < rounds; r++ {
		dropCache(b, home)
		t0 := time.Now()
		convs, err := history.List(home)
		list = append(list, float64(time.Since(t0)))
		if err != nil || len(convs) != n {
			b.Fatalf("listed %d conversations (%v), want %d", len(convs), err, n)
		}
		dropCache(b, home)
		t0 = time.Now()
		count := 0
		if err := filepath.WalkDir(history.Dir(home), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if _, err := d.Info(); err == nil {
					count++
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		walk = append(walk, float64(time.Since(t0)))
		dropCache(b, home)
		t0 = time.Now()
		if err := filepath.WalkDir(history.Dir(home), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if f, err := os.Open(p); err == nil {
					io.Copy(io.Discard, f)
					f.Close()
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		read = append(read, float64(time.Since(t0)))
		if count != n {
			b.Fatalf("the walk found %d files", count)
		}
	}
	m := time.Duration(median(list))
	var body strings.Builder
	fmt.Fprintf(&body, "%d conversation files of %.1f MiB in all (each a copy of a %d-byte conversation the real CLI wrote), in 50 folders; page cache dropped (`posix_fadvise DONTNEED`, Linux) before every run; %d rounds.\n\n", n, float64(total)/(1<<20), len(tmpl), rounds)
	body.WriteString("| path | median | min | max |\n|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		xs   []float64
	}{{"`history.List` (GET /v1/history): every file read and its messages counted", list}, {"baseline: directory walk, names and sizes", walk}, {"baseline: directory walk reading every byte", read}} {
		lo, hi := minMax(row.xs)
		fmt.Fprintf(&body, "| %s | %s | %s | %s |\n", row.name, ms(time.Duration(median(row.xs))), ms(time.Duration(lo)), ms(time.Duration(hi)))
	}
	fmt.Fprintf(&body, "\nTarget: the listing of 1,000 files under 1 s cold: **%s**.\n", verdict(m < time.Second))
	addSection("history", section{
		Title: "History: listing the CLI's conversations",
		Body:  body.String(),
		Targets: []target{{
			Figure:   fmt.Sprintf("history listing of %d CLI conversation files, cold", n),
			Target:   "< 1 s",
			Measured: fmt.Sprintf("%s median (directory walk %s, reading every byte %s)", ms(m), ms(time.Duration(median(walk))), ms(time.Duration(median(read)))),
			Result:   verdict(m < time.Second),
		}},
	})
}

package bench

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// BenchmarkChanges measures the Changes panel's two requests on a large
// repository: GET /v1/sessions/{id}/changes and one file's
// /changes/diff, on a worktree of 10,000 files with 200 changed (150
// edited, 25 added, 25 removed; half of the edits committed). The
// baseline, in the same rounds, is `git diff --stat <base>` run directly
// in the worktree. Rounds: KONUI_BENCH_CHANGES_ROUNDS (15), interleaved.
func BenchmarkChanges(b *testing.B) {
	started("changes")
	if claudePath() == "" {
		addSection("changes", section{Title: "Changes: listing and one diff on 10,000 files, 200 changed",
			Body:    "Not measured: the Claude Code CLI is not installed (run `make setup`).",
			Targets: []target{{"changes listing, p50", "< 300 ms", "not measured (no CLI)", "MISS"}}})
		b.Skip("the Claude Code CLI is not installed: run make setup")
	}
	rounds := envInt("KONUI_BENCH_CHANGES_ROUNDS", 15)
	h := kt.Start(b, kt.Options{})
	bigRepo(b, h.Work, 10000)
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": true, "title": "bench"})
	if status != http.StatusCreated {
		b.Fatalf("create: %d %v", status, s)
	}
	sid, dir := s["id"].(string), s["cwd"].(string)
	for i := 0; i < 150; i++ {
		p := filepath.Join(dir, fileName(i*60))
		body, _ := os.ReadFile(p)
		if err := os.WriteFile(p, append([]byte("changed line\n"), body...), 0o644); err != nil {
			b.Fatal(err)
		}
		if i == 74 {
			gitRun(b, dir, "commit", "-qam", "half the edits")
		}
	}
	for i := 0; i < 25; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("new/added-%d.txt", i)), []byte("a\nb\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, fileName(i*60+7))); err != nil {
			b.Fatal(err)
		}
	}
	base := strings.TrimSpace(gitRun(b, dir, "rev-parse", "main"))

	var list, diff, stat dist
	var files int
	for i := 0; i < rounds; i++ {
		t0 := time.Now()
		status, c := h.Do("GET", "/v1/sessions/"+sid+"/changes", nil)
		list = append(list, time.Since(t0))
		if status != http.StatusOK {
			b.Fatalf("changes: %d %v", status, c)
		}
		files = len(c["files"].([]any))
		t0 = time.Now()
		status, d := h.Do("GET", "/v1/sessions/"+sid+"/changes/diff?path="+fileName(60), nil)
		diff = append(diff, time.Since(t0))
		if status != http.StatusOK || !strings.Contains(d["diff"].(string), "+changed line") {
			b.Fatalf("diff: %d %v", status, d)
		}
		t0 = time.Now()
		gitRun(b, dir, "diff", "--stat", base, "--")
		stat = append(stat, time.Since(t0))
	}
	if files != 200 {
		b.Fatalf("the listing has %d files, want 200", files)
	}
	var body strings.Builder
	fmt.Fprintf(&body, "A worktree of 10,000 files (1,000 folders of 10), 200 changed: 150 edited (75 committed on the branch, 75 not), 25 new untracked files, 25 removed. %d rounds, each: the listing over HTTP, one file's diff over HTTP, `git diff --stat <base>` run directly (which sees neither the new untracked files nor renames of them).\n\n", rounds)
	fmt.Fprintf(&body, "| request | p50 | max |\n|---|---|---|\n")
	fmt.Fprintf(&body, "| GET /v1/sessions/{id}/changes | %s | %s |\n", ms(list.median()), ms(list.max()))
	fmt.Fprintf(&body, "| GET /v1/sessions/{id}/changes/diff?path= | %s | %s |\n", ms(diff.median()), ms(diff.max()))
	fmt.Fprintf(&body, "| git diff --stat, directly (baseline) | %s | %s |\n", ms(stat.median()), ms(stat.max()))
	fmt.Fprintf(&body, "\nThe listing stages the worktree into a throwaway copy of the index (`git add -A`) and runs `git diff --cached` twice (names with statuses, then line counts); the diff lists first (to find the file and its old name), then diffs one file.\n")
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(msf(list.median()), "list-p50-ms")
	b.ReportMetric(msf(diff.median()), "diff-p50-ms")
	b.ReportMetric(msf(stat.median()), "gitstat-p50-ms")
	addSection("changes", section{
		Title: "Changes: listing and one diff on 10,000 files, 200 changed",
		Body:  body.String(),
		Targets: []target{
			{"changes listing, p50 (git diff --stat by hand beside it)", "< 300 ms", fmt.Sprintf("%s (%s)", ms(list.median()), ms(stat.median())), verdict(list.median() < 300*time.Millisecond)},
			{"one file's diff, p50", "< 300 ms", ms(diff.median()), verdict(diff.median() < 300*time.Millisecond)},
		},
	})
}

func fileName(i int) string { return fmt.Sprintf("d%03d/f%d.txt", i/10, i) }

// bigRepo makes dir a repository of n small files in one commit on main.
func bigRepo(tb testing.TB, dir string, n int) {
	tb.Helper()
	gitRun(tb, dir, "init", "-q", "-b", "main")
	gitRun(tb, dir, "config", "user.name", "Bench")
	gitRun(tb, dir, "config", "user.email", "bench@example.com")
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, fileName(i))
		if i%10 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("file %d\nline two\nline three\n", i)), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "new"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new", ".keep"), nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	gitRun(tb, dir, "add", "-A")
	gitRun(tb, dir, "commit", "-qm", "ten thousand files")
}

func gitRun(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/checkpoint"
)

// BenchmarkCheckpoint measures the snapshot Konsole takes of a session's
// folder before each prompt (checkpoint.Store.Take) on a repository of
// 10,000 files, each round after the agent would have edited 5 files and
// made 1, beside `git stash create` run directly on the same tree in the
// same round (the work tree's state as a commit, the closest thing git
// has; it leaves out the new untracked file, the snapshot does not). The
// first snapshot, which reads every file, is given apart. Rounds:
// KONUI_BENCH_CHECKPOINT_ROUNDS (30), interleaved.
func BenchmarkCheckpoint(b *testing.B) {
	started("checkpoint")
	rounds := envInt("KONUI_BENCH_CHECKPOINT_ROUNDS", 30)
	dir := b.TempDir()
	bigRepo(b, dir, 10000)
	store, err := checkpoint.Open(filepath.Join(b.TempDir(), "checkpoints"), 0)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Now()
	if _, err := store.Take(ctx, "bench", dir, "first"); err != nil {
		b.Fatal(err)
	}
	first := time.Since(t0)
	var snap, stash dist
	for i := 0; i < rounds; i++ {
		for j := 0; j < 5; j++ {
			p := filepath.Join(dir, fileName((i*5+j)*37%10000))
			body, _ := os.ReadFile(p)
			if err := os.WriteFile(p, append(body, fmt.Sprintf("round %d\n", i)...), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "new", fmt.Sprintf("made-%d.txt", i)), []byte("made\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if _, err := store.Take(ctx, "bench", dir, fmt.Sprintf("r%d", i)); err != nil {
			b.Fatal(err)
		}
		snap = append(snap, time.Since(t0))
		t0 = time.Now()
		if out := gitRun(b, dir, "stash", "create"); strings.TrimSpace(out) == "" {
			b.Fatal("git stash create made no commit")
		}
		stash = append(stash, time.Since(t0))
	}
	// The usual case before a prompt: nothing changed since the previous
	// turn's end, one git status.
	var same dist
	for i := 0; i < rounds; i++ {
		t0 = time.Now()
		if _, err := store.Take(ctx, "bench", dir, fmt.Sprintf("same%d", i)); err != nil {
			b.Fatal(err)
		}
		same = append(same, time.Since(t0))
	}
	ratio := float64(snap.median()) / float64(stash.median())
	var body strings.Builder
	fmt.Fprintf(&body, "A repository of 10,000 files (1,000 folders of 10). %d rounds, each: 5 files edited and 1 made, then a snapshot into the session's shadow store (`git status` against the last snapshot, `update-index` of what changed, `write-tree`, `commit-tree`: four git processes; the refs are written as files), then `git stash create` run directly in the repository (baseline; it does not see the new untracked file).\n\n", rounds)
	fmt.Fprintf(&body, "| | p50 | max |\n|---|---|---|\n")
	fmt.Fprintf(&body, "| snapshot (checkpoint.Store.Take) | %s | %s |\n", ms(snap.median()), ms(snap.max()))
	fmt.Fprintf(&body, "| git stash create, directly (baseline) | %s | %s |\n", ms(stash.median()), ms(stash.max()))
	fmt.Fprintf(&body, "| snapshot with nothing changed since the last (one git status) | %s | %s |\n", ms(same.median()), ms(same.max()))
	fmt.Fprintf(&body, "| first snapshot of the session (reads every file; taken in the background as the session starts) | %s | |\n", ms(first))
	fmt.Fprintf(&body, "\nThe snapshot costs %.2f times `git stash create` at p50.\n", ratio)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(msf(snap.median()), "snapshot-p50-ms")
	b.ReportMetric(msf(stash.median()), "stash-p50-ms")
	b.ReportMetric(msf(first), "first-ms")
	b.ReportMetric(msf(same.median()), "unchanged-p50-ms")
	addSection("checkpoint", section{
		Title: "Checkpoint: a snapshot of a 10,000-file folder before a prompt",
		Body:  body.String(),
		Targets: []target{
			{"checkpoint snapshot, p50 (git stash create beside it)", "< 50 ms", fmt.Sprintf("%s (%s, ratio %.2f)", ms(snap.median()), ms(stash.median()), ratio), verdict(snap.median() < 50*time.Millisecond)},
		},
	})
}

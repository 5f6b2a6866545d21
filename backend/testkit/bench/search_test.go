package bench

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/store"
)

// searchWords is the vocabulary of the seeded transcript: common words
// occur in most messages, the numbered ones in few.
var searchWords = strings.Fields(`the a of and to in is it that for on with as this server store session turn config
read write open close file line function error test build run start stop main value return type struct field index page`)

// BenchmarkSearch measures GET /v1/search's query, Store.Search, over
// 100,000 stored messages (KONUI_BENCH_SEARCH_MESSAGES) beside a LIKE scan
// of the same store in the same run: a rare word, a common one, two words
// and a prefix, each asked in turn (KONUI_BENCH_SEARCH_ROUNDS, 50 rounds).
func BenchmarkSearch(b *testing.B) {
	started("search")
	n := envInt("KONUI_BENCH_SEARCH_MESSAGES", 100_000)
	rounds := envInt("KONUI_BENCH_SEARCH_ROUNDS", 50)
	st, err := store.Open(filepath.Join(b.TempDir(), "konsole.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewSource(16))
	t0 := time.Now().Add(-time.Duration(n) * time.Second).UTC()
	fill := time.Now()
	batch := make([]store.MessageRow, 0, 5000)
	for i := 0; i < n; i++ {
		words := make([]string, 0, 40)
		for j := 0; j < 30+rng.Intn(20); j++ {
			words = append(words, searchWords[rng.Intn(len(searchWords))])
		}
		words = append(words, fmt.Sprintf("ident%d", rng.Intn(n/10+1)))
		content, _ := json.Marshal([]map[string]string{{"type": "text", "text": strings.Join(words, " ")}})
		role := "assistant"
		if i%2 == 0 {
			role = "user"
		}
		batch = append(batch, store.MessageRow{SessionID: fmt.Sprintf("s%d", i%50), Role: role, Content: content, At: t0.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)})
		if len(batch) == cap(batch) || i == n-1 {
			if err := st.AddMessages(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	filled := time.Since(fill)
	queries := []string{fmt.Sprintf("ident%d", n/20), "server", "store session", "conf"}
	likes := []string{fmt.Sprintf("ident%d", n/20), "server", "store session", "conf"}
	var fts, like dist
	hits := 0
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		for _, q := range queries {
			t := time.Now()
			h, err := st.Search(q, 50)
			fts = append(fts, time.Since(t))
			if err != nil {
				b.Fatal(err)
			}
			hits += len(h)
		}
		if r < max(3, rounds/5) {
			for _, q := range likes {
				t := time.Now()
				if _, err := st.SearchLike(q, 50); err != nil {
					b.Fatal(err)
				}
				like = append(like, time.Since(t))
			}
		}
	}
	b.StopTimer()
	if hits == 0 {
		b.Fatal("no search found anything")
	}
	body := fmt.Sprintf("A store of %d messages (each 30 to 50 words from a vocabulary of %d, and one of %d rarer identifiers; %s to write with the index), searched through `Store.Search` (the query of `GET /v1/search`: FTS5 `MATCH`, newest first, 50 hits with snippets) for a rare identifier, a common word, two common words and a prefix, each in turn for %d rounds. Baseline: the same words as a `LIKE '%%word%%'` scan of the stored message JSON, newest first, 50 rows (no snippets), %d samples.\n\n"+
		"| | p50 | p99 | max |\n|---|---|---|---|\n| FTS5 search | %s | %s | %s |\n| `LIKE` scan | %s | %s | %s |\n",
		n, len(searchWords), n/10+1, filled.Round(time.Millisecond), rounds, len(like),
		ms(fts.median()), ms(fts.pct(99)), ms(fts.max()), ms(like.median()), ms(like.pct(99)), ms(like.max()))
	addSection("search", section{Title: "Search over stored messages", Body: body, Targets: []target{
		{fmt.Sprintf("search over %d messages, p99", n), "under 50 ms", fmt.Sprintf("%s (LIKE scan: %s)", ms(fts.pct(99)), ms(like.pct(99))), verdict(fts.pct(99) < 50*time.Millisecond)},
	}})
}

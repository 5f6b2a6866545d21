package eventlog

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/store"
)

// A streamed turn read by a client more than the subscriber buffer behind:
// the live feed drops events, Serve reads them from the store, and the
// stream must still carry every one of them and end with the stop event
// (the buffered tail used to be dropped when the catch-up reached it).
func TestAStreamFarBehindGetsEveryEventAndTheStopEvent(t *testing.T) {
	l, st := openLog(t, filepath.Join(t.TempDir(), "k.db"), 0)
	defer st.Close()
	defer l.Close()
	sub, err := l.Subscribe(-1)
	if err != nil {
		t.Fatal(err)
	}
	const deltas = subscriberBuffer + 208
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mine := func(row store.EventRow) bool { return row.TurnID == "t" }
		done := func(row store.EventRow) bool { return row.Type == contract.EvTurnCompleted && row.TurnID == "t" }
		Serve(w, r, sub, time.Minute, mine, done)
	}))
	defer srv.Close()

	// The whole turn is committed before the client reads a byte: the
	// subscriber's buffer overflows, as for a reader that fell behind.
	if _, err := l.Append(contract.EvTurnStarted, "s", "t", map[string]any{"turnId": "t"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < deltas; i++ {
		if _, err := l.Append(contract.EvTextDelta, "s", "t", map[string]any{"turnId": "t", "text": strings.Repeat("w", 40)}); err != nil {
			t.Fatal(err)
		}
		if i%500 == 0 {
			if _, err := l.Append(contract.EvTextDelta, "s", "other", map[string]any{"turnId": "other", "text": "not mine"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := l.Append(contract.EvTurnCompleted, "s", "t", map[string]any{"turnId": "t", "reason": "completed"}); err != nil {
		t.Fatal(err)
	}
	l.Flush()
	if !sub.HasLagged() {
		t.Fatal("the subscriber did not fall behind: the test does not reach the catch-up")
	}

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	counts := map[string]int{}
	last := ""
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if typ, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			counts[typ]++
			last = typ
		}
	}
	if counts[contract.EvTextDelta] != deltas || counts[contract.EvTurnStarted] != 1 || counts[contract.EvTurnCompleted] != 1 || last != contract.EvTurnCompleted {
		t.Fatalf("got %v, the last %q; want %d %s, one %s and %s last", counts, last, deltas, contract.EvTextDelta, contract.EvTurnStarted, contract.EvTurnCompleted)
	}
}

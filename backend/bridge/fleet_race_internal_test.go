package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// raceFleet is a Fleet whose Update of a Konsole returns only once the
// Remove of that Konsole has begun: a PATCH whose goroutine lost the CPU
// after its list was written, the moment a DELETE of the same Konsole
// runs (the real fleet writes a file in both).
type raceFleet struct {
	mu      sync.Mutex
	removed map[string]chan struct{}
}

func (f *raceFleet) gate(id string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.removed[id]
	if ch == nil {
		ch = make(chan struct{})
		f.removed[id] = ch
	}
	return ch
}

func (f *raceFleet) Add(context.Context, AddKonsole) (KonsoleSpec, error) {
	return KonsoleSpec{}, errors.New("not used here")
}

func (f *raceFleet) Update(id string, _ *string, _ *bool) error {
	<-f.gate(id)
	return nil
}

func (f *raceFleet) Remove(id string) error {
	close(f.gate(id))
	return nil
}

// A DELETE of a Konsole racing a PATCH that enables it: whichever wins,
// the Konsole is gone for good once both have answered. Before, the PATCH
// held the *konsole across Fleet.Update and started its upstream after
// the DELETE had stopped it and closed its tunnel: an upstream of a
// Konsole nobody could see any more, retrying a dead tunnel forever.
func TestARemovedKonsoleStaysRemovedWhenAnEnableRacesItsDelete(t *testing.T) {
	var resolvesAfterClose atomic.Int64
	b, err := New(Config{
		Konsoles: []KonsoleSpec{{ID: LocalID, Kind: "local", URL: "http://127.0.0.1:1", Disabled: true}},
		Fleet:    &raceFleet{removed: map[string]chan struct{}{}},
		Token:    "bridge-token",
		// One attempt per start: a running upstream waits an hour after
		// its failed Resolve, so it stays running for the checks below.
		Backoff: Backoff{Min: time.Hour, Max: time.Hour},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Start()
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	defer b.Close()

	call := func(method, path, body string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer bridge-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	const rounds = 150
	revived := 0
	for i := range rounds {
		id := fmt.Sprintf("tunnel-%d", i)
		var closed atomic.Bool
		err := b.AddKonsole(KonsoleSpec{ID: id, Kind: "ssh", URL: "http://127.0.0.1:1", Disabled: true,
			// An SSH Konsole: Resolve starts the tunnel, Close ends it for good.
			Resolve: func(context.Context) (string, string, error) {
				if closed.Load() {
					resolvesAfterClose.Add(1)
				}
				return "", "", errors.New("the tunnel is closed")
			},
			Close: func() { closed.Store(true) },
		})
		if err != nil {
			t.Fatal(err)
		}
		k := b.konsole(id)
		var wg sync.WaitGroup
		var patched, deleted int
		wg.Add(2)
		go func() { defer wg.Done(); patched = call("PATCH", "/api/konsoles/"+id, `{"enabled":true}`) }()
		go func() { defer wg.Done(); deleted = call("DELETE", "/api/konsoles/"+id, "") }()
		wg.Wait()
		if deleted != http.StatusNoContent || (patched != http.StatusOK && patched != http.StatusNotFound) {
			t.Fatalf("round %d: DELETE %d, PATCH %d", i, deleted, patched)
		}
		// Both have answered: a start that is going to happen has happened.
		if k.running() {
			revived++
			k.stop() // this test's own clean-up of the revived upstream
		}
		if b.konsole(id) != nil || b.hub.KonsoleInfo(id).ID != "" {
			t.Fatalf("round %d: the removed Konsole is still listed", i)
		}
	}
	if revived > 0 {
		t.Fatalf("%d of %d removed Konsoles had their upstream started again by the PATCH that raced their DELETE (%d Resolve calls on a closed tunnel)",
			revived, rounds, resolvesAfterClose.Load())
	}
}

// AddKonsole racing RemoveKonsole of the same id: the list of the bridge
// and the list clients see (the hub's) agree once both have returned, and
// no upstream of a removed Konsole runs. Before, the two lists were
// changed in two critical sections, so a removal between them left the
// hub listing, and the bridge following, a Konsole it no longer had.
func TestAddAndRemoveOfOneKonsoleLeaveTheListsInAgreement(t *testing.T) {
	b, err := New(Config{
		Konsoles: []KonsoleSpec{{ID: LocalID, Kind: "local", URL: "http://127.0.0.1:1", Disabled: true}},
		Token:    "bridge-token",
		Backoff:  Backoff{Min: time.Hour, Max: time.Hour},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Start()
	defer b.Close()

	const rounds = 300
	for i := range rounds {
		id := fmt.Sprintf("r-%d", i)
		var started atomic.Int64
		var closed atomic.Bool
		spec := KonsoleSpec{ID: id, URL: "http://127.0.0.1:1",
			Resolve: func(context.Context) (string, string, error) {
				started.Add(1)
				return "", "", errors.New("nothing to reach")
			},
			Close: func() { closed.Store(true) },
		}
		var wg sync.WaitGroup
		var removeErr error
		var k *konsole
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := b.AddKonsole(spec); err != nil {
				t.Errorf("round %d: add: %v", i, err)
			}
		}()
		go func() {
			defer wg.Done()
			// Remove it the moment it is in the bridge's list: the
			// window between the add's steps is what this test is after.
			for k = b.konsole(id); k == nil; k = b.konsole(id) {
				runtime.Gosched()
			}
			removeErr = b.RemoveKonsole(id)
		}()
		wg.Wait()
		if removeErr != nil {
			t.Fatalf("round %d: remove: %v", i, removeErr)
		}
		if k.running() {
			t.Fatalf("round %d: the upstream of the removed Konsole %s runs (Resolve called %d times)", i, id, started.Load())
		}
		if b.hub.KonsoleInfo(id).ID != "" {
			t.Fatalf("round %d: the hub still lists the removed Konsole %s", i, id)
		}
		if !closed.Load() {
			t.Fatalf("round %d: the removed Konsole's Close did not run", i)
		}
	}
}

package sessions

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/apierror"
	"github.com/konui/konui/backend/store"
)

// stuckStore is a real store whose writes of one session's row hang once
// armed, as on a disk that stopped answering, until released.
type stuckStore struct {
	*store.Store
	mu      sync.Mutex
	stuckID string
	entered chan struct{} // closed when a write of stuckID hangs
	release chan struct{}
}

func (s *stuckStore) arm(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stuckID, s.entered, s.release = id, make(chan struct{}), make(chan struct{})
}

func (s *stuckStore) SaveSession(id string, data []byte, activeTurn, createdAt string) error {
	s.mu.Lock()
	stuck := id == s.stuckID
	entered, release := s.entered, s.release
	if stuck {
		s.stuckID = ""
	}
	s.mu.Unlock()
	if stuck {
		close(entered)
		<-release
	}
	return s.Store.SaveSession(id, data, activeTurn, createdAt)
}

// One session's storage hangs: listing sessions, this one included, and
// reading another still answer at once.
func TestListingSessionsDoesNotWaitForOneWhoseStorageHangs(t *testing.T) {
	var stuck *stuckStore
	r := newRig(t, rigOptions{agent: "idle", store: func(st *store.Store) sessionStore {
		stuck = &stuckStore{Store: st}
		return stuck
	}})
	a := r.create(CreateRequest{Title: "slow disk"})
	b := r.create(CreateRequest{Title: "fine"})
	stuck.arm(a.ID)
	title := "renamed on a slow disk"
	updated := make(chan error, 1)
	go func() {
		_, err := r.m.Update(a.ID, SessionPatch{Title: &title})
		updated <- err
	}()
	<-stuck.entered
	released := false
	release := func() {
		if !released {
			released = true
			close(stuck.release)
		}
	}
	defer release()

	listed := make(chan []Session, 1)
	start := time.Now()
	go func() { listed <- r.m.List() }()
	select {
	case all := <-listed:
		if len(all) != 2 || all[0].ID != a.ID || all[1].ID != b.ID {
			t.Fatalf("List = %+v", all)
		}
	case <-time.After(100 * time.Millisecond):
		t.Fatal("List did not answer within 100 ms while one session's storage hangs")
	}
	t.Logf("List answered in %v", time.Since(start))
	got := make(chan Session, 1)
	go func() { s, _ := r.m.Get(b.ID); got <- s }()
	select {
	case <-got:
	case <-time.After(100 * time.Millisecond):
		t.Fatal("Get of another session did not answer within 100 ms")
	}
	release()
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	if s := r.m.snapshotOf(t, a.ID); s.Title != title {
		t.Fatalf("title %q after the write went through", s.Title)
	}
}

// A control request the agent never answers times out and leaves the
// session's map then, not when the agent exits.
func TestAControlRequestThatTimesOutIsForgotten(t *testing.T) {
	r := newRig(t, rigOptions{agent: "deaf", controlTimeout: 200 * time.Millisecond})
	s := r.create(CreateRequest{})
	model := "claude-haiku-4-5"
	_, err := r.m.Update(s.ID, SessionPatch{Model: &model})
	var e *apierror.Error
	if !errors.As(err, &e) || e.Status != http.StatusGatewayTimeout {
		t.Fatalf("Update = %v, want a 504", err)
	}
	ss, _ := r.m.get(s.ID)
	ss.mu.Lock()
	n, running := len(ss.controls), ss.proc != nil
	ss.mu.Unlock()
	if !running {
		t.Fatal("the agent is gone: the test proves nothing")
	}
	if n != 0 {
		t.Fatalf("%d control requests still wait after the timeout", n)
	}
}

package sessions

import (
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/store"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// askBash starts a turn whose Bash call waits for permission and returns
// the request's id once its permission.request is in the log.
func (r *rig) askBash(sessionID string) string {
	r.t.Helper()
	sub, err := r.log.Subscribe(-1)
	if err != nil {
		r.t.Fatal(err)
	}
	defer sub.Close()
	if _, err := r.m.PromptOrQueue(sessionID, PromptRequest{Text: "[[bash: echo waiting > waiting.txt]]"}); err != nil {
		r.t.Fatal(err)
	}
	ev := r.until(sub, 90*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvPermissionRequest && row.SessionID == sessionID
	})
	id, _ := ev.data(r.t)["requestId"].(string)
	if id == "" {
		r.t.Fatalf("permission.request without an id: %s", ev.Line)
	}
	return id
}

// resolutions returns the permission.resolved data of requestID in the
// session's stored events.
func (r *rig) resolutions(sessionID, requestID string) []map[string]any {
	r.t.Helper()
	var out []map[string]any
	for _, ev := range r.events(sessionID) {
		if d := ev.data(r.t); ev.Type == contract.EvPermissionResolved && d["requestId"] == requestID {
			out = append(out, d)
		}
	}
	return out
}

func wantDenied(t *testing.T, got []map[string]any, reason string) {
	t.Helper()
	if len(got) != 1 || got[0]["behavior"] != "deny" || got[0]["reason"] != reason || got[0]["message"] == "" {
		t.Fatalf("permission.resolved %v, want one deny with reason %q and a message", got, reason)
	}
}

// The agent crashes while a request waits: Konsole answers it (deny,
// agent_exited), so that the tray, notices and the console drop it.
func TestARequestIsDeniedWhenTheAgentCrashes(t *testing.T) {
	r := newRig(t, rigOptions{})
	s := r.create(CreateRequest{})
	req := r.askBash(s.ID)
	sub, err := r.log.Subscribe(-1)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	killPid(t, r.m.snapshotOf(t, s.ID).AgentPID)
	r.until(sub, 30*time.Second, func(row store.EventRow) bool { return row.Type == contract.EvAgentExited })
	wantDenied(t, r.resolutions(s.ID, req), DenyAgentExited)
	if got := r.m.snapshotOf(t, s.ID); got.PendingPermissions != 0 {
		t.Fatalf("pendingPermissions %d after the crash", got.PendingPermissions)
	}
}

// Konsole stops while a request waits: the request is answered (deny,
// agent_exited) before it goes, and the next start does not answer it again.
func TestARequestIsDeniedWhenKonsoleStops(t *testing.T) {
	r := newRig(t, rigOptions{})
	s := r.create(CreateRequest{})
	req := r.askBash(s.ID)
	r.m.Close()
	wantDenied(t, r.resolutions(s.ID, req), DenyAgentExited)
	r.close()
	r2 := newRig(t, rigOptions{data: r.data, home: r.home, fake: r.fake})
	wantDenied(t, r2.resolutions(s.ID, req), DenyAgentExited)
	if got := r2.m.snapshotOf(t, s.ID); got.PendingPermissions != 0 {
		t.Fatalf("pendingPermissions %d after the restart", got.PendingPermissions)
	}
}

// Konsole is killed while a request waits (its data folder as kill -9
// leaves it): the next start answers the request (deny, konsole_restarted)
// before it reports the cut-off turn as ended.
func TestARequestLeftByAKilledKonsoleIsDeniedAtTheNextStart(t *testing.T) {
	r := newRig(t, rigOptions{})
	s := r.create(CreateRequest{})
	req := r.askBash(s.ID)
	r.log.Flush()
	// the session's row is written by its writer, as the log by its own
	if err := r.m.Flush(s.ID); err != nil {
		t.Fatal(err)
	}
	crashed := t.TempDir()
	for _, name := range []string{"konsole.db", "konsole.db-wal", "konsole.db-shm"} {
		copyFile(t, filepath.Join(r.data, name), filepath.Join(crashed, name))
	}
	r2 := newRig(t, rigOptions{data: crashed, home: r.home, fake: r.fake})
	wantDenied(t, r2.resolutions(s.ID, req), DenyKonsoleRestarted)
	evs := r2.events(s.ID)
	resolvedAt, completedAt := -1, -1
	for i, ev := range evs {
		switch {
		case ev.Type == contract.EvPermissionResolved && ev.data(t)["requestId"] == req:
			resolvedAt = i
		case ev.Type == contract.EvTurnCompleted:
			completedAt = i
		}
	}
	if resolvedAt < 0 || completedAt < resolvedAt {
		t.Fatalf("permission.resolved at %d, turn.completed at %d: the request must be answered before its turn ends", resolvedAt, completedAt)
	}
	if got := r2.m.snapshotOf(t, s.ID); got.PendingPermissions != 0 || got.Status != StatusIdle {
		t.Fatalf("after the restart: %+v", got)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
}

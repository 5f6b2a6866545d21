package sessions

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/shared/apierror"
)

// Auto-deny: a permission request nobody answers for the chosen number of
// minutes (1 to 60; 0, the default, is off) is denied by Konsole with a
// message that says so. The setting is Konsole's, kept in its store, so
// every client of this Konsole sees and changes the same one.

// autoDenyKey stores the setting as {"minutes":N}.
const autoDenyKey = "auto-deny"

// maxAutoDenyMinutes bounds the setting.
const maxAutoDenyMinutes = 60

// AutoDeny is the body of GET and PUT /v1/settings/auto-deny.
type AutoDeny struct {
	Minutes int `json:"minutes"`
}

// autoDenySetting is the Manager's copy of the setting, read from the
// store on first use.
type autoDenySetting struct {
	once    sync.Once
	mu      sync.Mutex
	minutes int
}

// AutoDeny returns the setting.
func (m *Manager) AutoDeny() AutoDeny {
	a := &m.autoDeny
	a.once.Do(func() {
		b, err := m.st.Blob(autoDenyKey)
		var v AutoDeny
		if err != nil {
			m.lg.Warn("failed to read the auto-deny setting; it is off", "err", err)
		} else if b != nil && json.Unmarshal(b, &v) == nil && v.Minutes >= 0 && v.Minutes <= maxAutoDenyMinutes {
			a.mu.Lock()
			a.minutes = v.Minutes
			a.mu.Unlock()
		}
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	return AutoDeny{Minutes: a.minutes}
}

// SetAutoDeny changes the setting for requests made from now on.
func (m *Manager) SetAutoDeny(v AutoDeny) (AutoDeny, error) {
	if v.Minutes < 0 || v.Minutes > maxAutoDenyMinutes {
		return AutoDeny{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "minutes must be 0 (off) or 1 to %d, not %d", maxAutoDenyMinutes, v.Minutes)
	}
	m.AutoDeny()
	b, _ := json.Marshal(v)
	if err := m.st.SetBlob(autoDenyKey, b); err != nil {
		return AutoDeny{}, fmt.Errorf("failed to save the auto-deny setting: %w", err)
	}
	m.autoDeny.mu.Lock()
	m.autoDeny.minutes = v.Minutes
	m.autoDeny.mu.Unlock()
	return v, nil
}

// autoDenyMessage is what the CLI (and the user) are told.
func autoDenyMessage(minutes int) string {
	unit := "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	return "Denied automatically: nobody answered within " + strconv.Itoa(minutes) + " " + unit + " (Konsole's auto-deny setting)."
}

// armAutoDeny starts p's timer when the setting is on; the caller holds s.mu.
func (s *session) armAutoDeny(p *Permission) {
	minutes := s.m.AutoDeny().Minutes
	if minutes == 0 {
		return
	}
	at := p.RequestedAt.Add(time.Duration(minutes) * s.m.cfg.AutoDenyUnit)
	p.AutoDenyAt = &at
	id := p.RequestID
	p.timer = time.AfterFunc(time.Until(at), func() {
		// Answered meanwhile: not found, nothing to do.
		if err := s.answer(id, PermissionAnswer{PermissionAnswer: contract.PermissionAnswer{Behavior: "deny", Message: autoDenyMessage(minutes)}, auto: true}); err != nil {
			s.m.lg.Debug("auto-deny found nothing to deny", "request", id, "err", err)
		}
	})
}

package app

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/fleet"
)

// The window follows every Konsole at once: the local one, the stored
// fleet and this run's --konsole. What the tray and the notifications show
// covers them all; this file keeps that in step when the fleet changes.

// trackedFleet is the bridge's Fleet with the Desktop told of changes: one
// removed or disabled takes what it listed in the tray (and its notices)
// away. One added or enabled needs nothing here: its unread kontasks are
// loaded when its stream connects (bridge.Config.Connected).
type trackedFleet struct {
	bridge.Fleet
	d *Desktop
}

// Update renames, enables or disables a Konsole.
func (f trackedFleet) Update(id string, name *string, enabled *bool) error {
	err := f.Fleet.Update(id, name, enabled)
	if err == nil && enabled != nil && !*enabled {
		f.d.forgetKonsole(id)
	}
	return err
}

// Remove forgets a Konsole and what the tray listed of it.
func (f trackedFleet) Remove(id string) error {
	err := f.Fleet.Remove(id)
	if err == nil {
		f.d.forgetKonsole(id)
	}
	return err
}

// forgetKonsole takes a Konsole's waiting requests, unread kontasks and
// unseen turns off the tray and withdraws their notices.
func (d *Desktop) forgetKonsole(id string) {
	var keys []string
	d.mu.Lock()
	unread := d.unread[:0:0]
	for _, e := range d.unread {
		if e.konsole == id {
			keys = append(keys, e.Target)
		} else {
			unread = append(unread, e)
		}
	}
	d.unread = unread
	for reqID, p := range d.perms {
		if p.Konsole == id {
			delete(d.perms, reqID)
			keys = append(keys, "permission:"+reqID)
		}
	}
	for sid, e := range d.finished {
		if e.konsole == id {
			delete(d.finished, sid)
		}
	}
	d.mu.Unlock()
	d.renderTray()
	for _, k := range keys {
		d.withdraw(k)
	}
}

// konsoleNames maps the id of every Konsole followed to its name. It asks
// the bridge, so it runs off the bridge's delivery path (in deliver).
func (d *Desktop) konsoleNames() map[string]string {
	d.mu.Lock()
	st := d.stack
	d.mu.Unlock()
	names := map[string]string{}
	if st == nil {
		return names
	}
	for _, k := range st.Bridge.Konsoles() {
		names[k.ID] = k.Name
	}
	return names
}

// label names the Konsole in the body of a notice about one other than the
// local Konsole, so that a person knows which machine asks.
func (d *Desktop) label(n *Notification) {
	if n.Konsole == "" || n.Konsole == bridge.LocalID {
		return
	}
	name := d.konsoleNames()[n.Konsole]
	if name == "" {
		name = n.Konsole
	}
	n.Body = clip("On "+name+": "+n.Body, noteBodyChars)
}

// loadUnread fills the tray from the unread kontasks of every Konsole (the
// bridge's merged list). It runs at start and each time a Konsole's stream
// connects; what a Konsole that does not answer listed before stays until
// it does.
func (d *Desktop) loadUnread() {
	d.mu.Lock()
	base, token := d.url, d.token
	d.mu.Unlock()
	if base == "" {
		return // not serving yet: Start loads it once it is
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/kontasks?unread=true&limit=50", nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var list struct {
		Kontasks []struct {
			ID, Title string
			KonsoleID string    `json:"konsoleId"`
			CreatedAt time.Time `json:"createdAt"`
		} `json:"kontasks"`
		Total       int      `json:"total"`
		Unavailable []string `json:"unavailable"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&list) != nil {
		return
	}
	d.mu.Lock()
	// The entries of Konsoles left out of the list stay as they were.
	d.unread = slices.DeleteFunc(d.unread, func(e trayEntry) bool { return !slices.Contains(list.Unavailable, e.konsole) })
	for _, k := range list.Kontasks {
		d.unread = append(d.unread, trayEntry{TrayItem{Target: "kontask:" + k.ID, Title: strings.TrimSpace(k.Title)}, k.CreatedAt, k.KonsoleID})
	}
	// The list is the newest 50 of each Konsole; the count covers them all.
	d.unreadMore = max(0, list.Total-len(list.Kontasks))
	d.mu.Unlock()
	d.renderTray()
}

// importProfiles moves the remote profiles of a settings file from before
// the fleet into it, once, with their ids and tokens, and then drops them
// from the settings (konsoles.json keeps them from here on). A failure is
// logged and the profiles stay, to be moved at the next start.
func (d *Desktop) importProfiles(fl interface {
	ImportProfiles([]fleet.Profile) (int, error)
}) {
	ps := d.settings.Get().Profiles
	if len(ps) == 0 {
		return
	}
	n, err := fl.ImportProfiles(ps)
	if err != nil {
		d.lg.Warn("failed to move the Konsole profiles into the Konsole list; they stay in the settings", "err", err)
		return
	}
	if err := d.settings.Update(func(s *Settings) error { s.Profiles = nil; return nil }); err != nil {
		d.lg.Warn("the Konsole profiles were moved, but the settings still list them", "err", err)
	}
	d.lg.Info("moved the Konsole profiles into the Konsole list", "profiles", len(ps), "new", n)
}

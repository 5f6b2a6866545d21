package app

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// The bridge calls observe and KontaskCreated on its delivery path, which
// must not block, and the notifier and the tray are D-Bus calls that can.
// So those paths only queue: notifications go to d.notes (bounded, dropped
// with a warning when full) and tray changes set d.trayWake (the newest
// state wins), and one goroutine, deliver, owns every call to the OS.

// noteOp is one call for deliver to make: show a notification, or
// withdraw the one shown under a key.
type noteOp struct {
	show     *Notification
	withdraw string
}

func (d *Desktop) queue(n Notification) {
	select {
	case d.notes <- noteOp{show: &n}:
	default:
		d.lg.Warn("dropping a notification: too many at once", "title", n.Title)
	}
}

// withdraw asks deliver to take back the notification shown under key.
func (d *Desktop) withdraw(key string) {
	select {
	case d.notes <- noteOp{withdraw: key}:
	default:
		d.lg.Warn("failed to withdraw a notification: too many at once", "key", key)
	}
}

// painted is what the tray last showed, so that deliver repaints only changes.
type painted struct {
	valid  bool
	count  int
	newest []TrayItem
	paused bool
}

// deliver shows queued notifications and paints the tray, off the bridge's
// path, until Stop; a missing notification service is logged once.
func (d *Desktop) deliver() {
	warned := false
	var last painted
	notify := func(op noteOp) {
		d.mu.Lock()
		notifier := d.notifier
		d.mu.Unlock()
		if op.show == nil {
			if err := notifier.Withdraw(op.withdraw); err != nil {
				d.lg.Warn("a notification stays up", "key", op.withdraw, "err", err)
			}
			return
		}
		if err := notifier.Notify(*op.show); err != nil && !warned {
			warned = true
			d.lg.Warn("notifications are not available; Konui runs on without them", "err", err)
		}
	}
	for {
		select {
		case <-d.done:
			return
		case n := <-d.notes:
			notify(n)
		case <-d.trayWake:
			d.paint(&last)
		case ack := <-d.flushes:
			for drained := false; !drained; {
				select {
				case n := <-d.notes:
					notify(n)
				default:
					drained = true
				}
			}
			d.paint(&last)
			close(ack)
		}
	}
}

// flush returns once every notification queued and every tray change made
// before it has reached the OS, or once the Desktop stops: the explicit
// signal a caller waits on instead of sleeping.
func (d *Desktop) flush() {
	ack := make(chan struct{})
	select {
	case d.flushes <- ack:
	case <-d.done:
		return
	}
	select {
	case <-ack:
	case <-d.done:
	}
}

// paint shows what waits for the user and the pause in the tray, calling
// it only for what changed since last.
func (d *Desktop) paint(last *painted) {
	d.mu.Lock()
	tray := d.tray
	items, count := d.waitingLocked()
	now := painted{valid: true, count: count, paused: d.paused, newest: items[:min(len(items), trayKontaskSlots)]}
	d.mu.Unlock()
	if tray == nil {
		return
	}
	if !last.valid || last.count != now.count || !slices.Equal(last.newest, now.newest) {
		tray.SetUnread(now.count, now.newest)
	}
	if !last.valid || last.paused != now.paused {
		tray.SetPaused(now.paused)
	}
	*last = now
}

// trayEntry is a tray item and when it began to wait.
type trayEntry struct {
	TrayItem
	at time.Time
}

// waitingLocked lists, across sessions and newest first, the requests
// waiting for an answer, the unread kontasks and the turns that finished
// unseen, and counts them all; the caller holds mu.
func (d *Desktop) waitingLocked() ([]TrayItem, int) {
	all := slices.Clone(d.unread)
	for _, p := range d.perms {
		all = append(all, trayEntry{TrayItem{Target: "session:" + p.SessionID,
			Title: clip(p.ToolName+" waits for you in "+d.titleLocked(p.SessionID), noteTitleChars)}, p.At})
	}
	for sid, e := range d.finished {
		e.Title = clip("Turn finished in "+d.titleLocked(sid), noteTitleChars)
		all = append(all, e)
	}
	slices.SortStableFunc(all, func(a, b trayEntry) int { return b.at.Compare(a.at) })
	out := make([]TrayItem, len(all))
	for i, e := range all {
		out[i] = e.TrayItem
	}
	return out, len(all) + d.unreadMore
}

// renderTray asks deliver to paint the tray; it never blocks.
func (d *Desktop) renderTray() {
	select {
	case d.trayWake <- struct{}{}:
	default:
	}
}

// trackUnread adds a kontask to the unread list (newest first) or removes it.
func (d *Desktop) trackUnread(id, title string, unread bool) {
	target := "kontask:" + id
	d.mu.Lock()
	at := time.Now()
	out := d.unread[:0:0]
	for _, it := range d.unread {
		if it.Target != target {
			out = append(out, it)
		} else {
			at = it.at
		}
	}
	if unread {
		out = append([]trayEntry{{TrayItem{Target: target, Title: clip(title, noteTitleChars)}, at}}, out...)
	}
	d.unread = out
	d.mu.Unlock()
	d.renderTray()
}

// loadUnread fills the tray from Konsole's unread kontasks.
func (d *Desktop) loadUnread() {
	d.mu.Lock()
	url, token := d.url, d.token
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/kontasks?unread=true&limit=50", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var list struct {
		Kontasks []struct {
			ID, Title string
			CreatedAt time.Time `json:"createdAt"`
		} `json:"kontasks"`
		Total int `json:"total"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&list) != nil {
		return
	}
	d.mu.Lock()
	d.unread = d.unread[:0]
	for _, k := range list.Kontasks {
		d.unread = append(d.unread, trayEntry{TrayItem{Target: "kontask:" + k.ID, Title: clip(k.Title, noteTitleChars)}, k.CreatedAt})
	}
	// The list is the newest 50; the count covers them all.
	d.unreadMore = max(0, list.Total-len(list.Kontasks))
	d.mu.Unlock()
	d.renderTray()
}

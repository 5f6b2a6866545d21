package app

import (
	"slices"
	"time"

	"github.com/konui/konui/backend/bridge"
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
		n := *op.show
		d.label(&n)
		if err := notifier.Notify(n); err != nil && !warned {
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

// paint shows what waits for the user and the pause in the tray, calling
// it only for what changed since last.
func (d *Desktop) paint(last *painted) {
	names := d.konsoleNames()
	d.mu.Lock()
	tray := d.tray
	items, count := d.waitingLocked(names)
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

// trayEntry is a tray item, when it began to wait and the id of its Konsole.
type trayEntry struct {
	TrayItem
	at      time.Time
	konsole string
}

// waitingLocked lists, across sessions and Konsoles and newest first, the
// requests waiting for an answer, the unread kontasks and the turns that
// finished unseen, and counts them all; an item of a Konsole other than
// the local one ends with its name (from names). The caller holds mu.
func (d *Desktop) waitingLocked(names map[string]string) ([]TrayItem, int) {
	all := slices.Clone(d.unread)
	for _, p := range d.perms {
		all = append(all, trayEntry{TrayItem{Target: "session:" + p.SessionID,
			Title: p.ToolName + " waits for you in " + d.titleLocked(p.SessionID)}, p.At, p.Konsole})
	}
	for sid, e := range d.finished {
		e.Title = "Turn finished in " + d.titleLocked(sid)
		all = append(all, e)
	}
	slices.SortStableFunc(all, func(a, b trayEntry) int { return b.at.Compare(a.at) })
	out := make([]TrayItem, len(all))
	for i, e := range all {
		if name := names[e.konsole]; name != "" && e.konsole != bridge.LocalID {
			e.Title += " (" + name + ")"
		}
		e.Title = clip(e.Title, noteTitleChars)
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

// trackUnread adds a kontask of Konsole konsoleID to the unread list
// (newest first) or removes it.
func (d *Desktop) trackUnread(konsoleID, id, title string, unread bool) {
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
		out = append([]trayEntry{{TrayItem{Target: target, Title: title}, at, konsoleID}}, out...)
	}
	d.unread = out
	d.mu.Unlock()
	d.renderTray()
}

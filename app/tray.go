package app

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
)

// TrayItem is one entry of the tray menu: a request waiting for an
// answer, an unread kontask or a turn that finished unseen. Target is what
// it opens ("kontask:ID" or "session:ID").
type TrayItem struct {
	Target, Title string
}

// Tray is the status icon and its menu.
type Tray interface {
	// SetUnread shows how many things wait for the user (requests, unread
	// kontasks, unseen finished turns) and the newest of them.
	SetUnread(count int, newest []TrayItem)
	SetPaused(paused bool)
}

// TrayActions are what the tray's menu asks of the app.
type TrayActions struct {
	Open func()
	// OpenTarget opens what a menu entry points at (TrayItem.Target).
	OpenTarget  func(target string)
	TogglePause func()
	Quit        func()
}

// trayKontaskSlots is how many entries the menu lists.
const trayKontaskSlots = 5

const nothingWaits = "Nothing waits for you"

// SysTray is the tray through fyne.io/systray (StatusNotifierItem over
// D-Bus on Linux), run beside Wails with RunWithExternalLoop. Without a
// tray host it logs and carries on.
type SysTray struct {
	mu     sync.Mutex
	ready  bool
	slots  [trayKontaskSlots]*systray.MenuItem
	ids    [trayKontaskSlots]string
	header *systray.MenuItem
	pause  *systray.MenuItem
	count  int
	newest []TrayItem
	paused bool
	end    func()
}

var _ Tray = (*SysTray)(nil)

// StartSysTray registers the tray icon and menu.
func StartSysTray(icon []byte, a TrayActions) *SysTray {
	t := &SysTray{}
	start, end := systray.RunWithExternalLoop(func() { t.onReady(icon, a) }, func() {})
	t.end = end
	start()
	return t
}

func (t *SysTray) onReady(icon []byte, a TrayActions) {
	systray.SetIcon(icon)
	systray.SetTitle("Konui")
	systray.SetTooltip("Konui")
	open := systray.AddMenuItem("Open Konui", "Show the window")
	systray.AddSeparator()
	header := systray.AddMenuItem(nothingWaits, "")
	header.Disable()
	var slots [trayKontaskSlots]*systray.MenuItem
	for i := range slots {
		slots[i] = systray.AddMenuItem("", "Open it")
		slots[i].Hide()
	}
	systray.AddSeparator()
	pause := systray.AddMenuItemCheckbox("Pause notifications", "Stop showing notifications until unpaused", false)
	quit := systray.AddMenuItem("Quit", "Quit Konui")
	go func() {
		for range open.ClickedCh {
			a.Open()
		}
	}()
	go func() {
		for range pause.ClickedCh {
			a.TogglePause()
		}
	}()
	go func() {
		for range quit.ClickedCh {
			a.Quit()
		}
	}()
	for i, s := range slots {
		go func() {
			for range s.ClickedCh {
				t.mu.Lock()
				target := t.ids[i]
				t.mu.Unlock()
				if target != "" {
					a.OpenTarget(target)
				}
			}
		}()
	}
	t.mu.Lock()
	t.header, t.slots, t.pause, t.ready = header, slots, pause, true
	t.mu.Unlock()
	t.render()
}

// SetUnread implements Tray.
func (t *SysTray) SetUnread(count int, newest []TrayItem) {
	t.mu.Lock()
	t.count, t.newest = count, newest
	t.mu.Unlock()
	t.render()
}

// SetPaused implements Tray.
func (t *SysTray) SetPaused(p bool) {
	t.mu.Lock()
	t.paused = p
	t.mu.Unlock()
	t.render()
}

func (t *SysTray) render() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ready {
		return
	}
	title, tip := "Konui", "Konui: "+nothingWaits
	if t.count > 0 {
		title = fmt.Sprintf("Konui (%d)", t.count)
		tip = fmt.Sprintf("Konui: %d waiting for you", t.count)
		t.header.SetTitle(fmt.Sprintf("%d waiting for you", t.count))
	} else {
		t.header.SetTitle(nothingWaits)
	}
	systray.SetTitle(title)
	systray.SetTooltip(tip)
	for i, s := range t.slots {
		if i < len(t.newest) {
			t.ids[i] = t.newest[i].Target
			s.SetTitle(t.newest[i].Title)
			s.Show()
		} else {
			t.ids[i] = ""
			s.Hide()
		}
	}
	if t.paused {
		t.pause.Check()
	} else {
		t.pause.Uncheck()
	}
}

// Close removes the tray icon.
func (t *SysTray) Close() {
	if t.end != nil {
		t.end()
	}
}

// TrayHostPresent tells whether a StatusNotifier host shows tray icons on
// the bus of conn: the watcher is there and says a host registered with it.
// Without one (stock GNOME) a tray icon shows nowhere.
func TrayHostPresent(conn *dbus.Conn) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var has bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has); err != nil || !has {
		return false
	}
	var v dbus.Variant
	err := conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").CallWithContext(ctx,
		"org.freedesktop.DBus.Properties.Get", 0, "org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered").Store(&v)
	if err != nil {
		return false
	}
	b, ok := v.Value().(bool)
	return ok && b
}

// SessionTrayHost is TrayHostPresent on the session bus; false without one
// (it never autolaunches a bus).
func SessionTrayHost() bool {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	return TrayHostPresent(conn)
}

// Package notify tells the desktop about each new kontask exactly once:
// not again on a replay, a reconnect or a restart of the bridge, which it
// remembers in a state file (notified-kontasks.json). Kontasks created
// while the bridge was away are caught up over a Konsole's REST API when
// its stream connects.
//
// Start reading at Notifications (notify.go): Event and Connected come
// from the bridge's delivery path and never block; Run judges, records
// and notifies on its own goroutine.
package notify

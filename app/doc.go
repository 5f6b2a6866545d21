// Package app is the Wails desktop application: the window, its bound
// methods, native notifications and the tray over every Konsole the
// window follows (konsoles.go).
//
// Start reading at Run (wails.go). The OS is reached only through small
// interfaces (Window in window.go, Notifier in notify.go, Tray in tray.go)
// so that the logic in desktop.go and settings.go is tested without a
// display. Every notifier and tray call runs on one goroutine (deliver.go):
// the bridge's delivery path only queues work for it. The Wails runtime
// itself is touched only in wails.go, which the desktop build tag compiles in.
package app

//go:build desktop

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// The desktop konui.exe is a GUI program (-H windowsgui: no console window
// opens beside the app), which Windows starts without a console. Started
// from a terminal (konui --version, konui serve), it writes to that
// terminal's console instead; output redirected to a file or pipe already
// has its handles and is left alone.
func init() {
	if h, err := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE); err == nil && h != 0 && h != windows.InvalidHandle {
		return
	}
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	if r, _, _ := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole").Call(attachParentProcess); r == 0 {
		return // started from Explorer: no console to write to
	}
	if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
		os.Stdout, os.Stderr = f, f
	}
}

package app

import (
	"errors"
	"os"
)

// FolderPicker is a Window that can ask the user for a folder with the
// OS's own dialog.
type FolderPicker interface {
	PickFolder(title, start string) (string, error)
}

// PickFolder asks the user for the folder of a new session with the OS's
// folder dialog (bound method); "" when they cancelled.
func (d *Desktop) PickFolder(start string) (string, error) {
	d.mu.Lock()
	w := d.win
	d.mu.Unlock()
	p, ok := w.(FolderPicker)
	if !ok {
		return "", errors.New("this window cannot show a folder dialog: type the folder's path")
	}
	if fi, err := os.Stat(start); err != nil || !fi.IsDir() {
		start, _ = os.UserHomeDir()
	}
	return p.PickFolder("Folder for the new session", start)
}

package app

import (
	"encoding/json"

	"github.com/wailsapp/wails/v2/pkg/options"
)

// windowsInstance names what Wails' single-instance lock for id is made of
// on Windows (internal/frontend/desktop/windows/single_instance.go of the
// pinned Wails; a test reads that file): the named mutex the first konui
// holds, and the class and title of the hidden window that takes a second
// launch's WM_COPYDATA.
func windowsInstance(id string) (mutex, class, window string) {
	base := "wails-app-" + id
	return base + "sim", base + "-sic", base + "-siw"
}

// wmCopyDataSecondInstance is the dwData Wails' window expects with a
// second launch's arguments.
const wmCopyDataSecondInstance = 1542

// secondInstanceMessage is what a second launch hands the running konui:
// its arguments and working folder, as Wails' SecondInstanceData.
func secondInstanceMessage(args []string, wd string) string {
	b, _ := json.Marshal(options.SecondInstanceData{Args: args, WorkingDirectory: wd})
	return string(b)
}

//go:build bindings && !desktop

package main

import (
	"fmt"
	"os"

	"github.com/konui/konui/app"
)

// The binding generator's build (make bindings, or `wails generate
// module`): it writes the TypeScript of the methods the window binds into
// the wailsjs folder that wails.json names, then exits.
func main() {
	if err := app.GenerateBindings(); err != nil {
		fmt.Fprintln(os.Stderr, "konui: failed to generate the Wails bindings:", err)
		os.Exit(1)
	}
}

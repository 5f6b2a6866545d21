// Package cli parses the konui command line and runs its modes: serve,
// konsole, and by default the desktop window, through the Window function
// the desktop build's main passes in (a binary built without the window
// says so and points at serve).
//
// Start reading at Main (cli.go); each mode has its own file.
package cli

// Package cli parses the konui command line and runs its modes: the
// desktop window (default), serve and konsole.
//
// Start reading at Main (cli.go); each mode has its own file.
package cli

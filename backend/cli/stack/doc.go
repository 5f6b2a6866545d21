// Package stack wires one running Konui: a bridge and the Konsole it
// follows (an embedded local one, or a remote one over HTTP). Both
// `konui serve` (backend/cli) and the desktop window (app) start theirs
// here, so neither imports the other.
//
// Start reading at Start.
package stack

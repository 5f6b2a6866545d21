//go:build desktop && unix && !darwin

package main

import "os"

// hasDisplay tells whether an X or Wayland display is there to open the
// window on.
func hasDisplay() bool { return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" }

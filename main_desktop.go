//go:build desktop

package main

import (
	"github.com/konui/konui/app"
	"github.com/konui/konui/backend/cli"
)

// The desktop build (-tags desktop,production,webkit2_41) opens the window
// when konui runs without a mode.
func init() { cli.Desktop = app.Run }

//go:build desktop

// Command bare is the smallest Wails v2 window: the baseline that the
// desktop benchmark compares konui's memory with (scripts/bench-desktop.sh).
package main

import (
	"log"
	"testing/fstest"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
)

func main() {
	page := fstest.MapFS{"index.html": {Data: []byte(`<!doctype html><html><body style="background:#15161a;color:#eee"><h1>bare</h1></body></html>`)}}
	err := wails.Run(&options.App{
		Title: "bare", Width: 1280, Height: 820,
		AssetServer: &assetserver.Options{Assets: page},
		Linux:       &linux.Options{WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Package frontend embeds the built dashboard (frontend/dist, made by
// "npm run build"). The Svelte sources are in src/.
package frontend

import (
	"embed"
	"io/fs"
	"testing/fstest"
)

//go:embed all:dist
var dist embed.FS

const notBuilt = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Konui</title>
<body style="font-family:sans-serif;background:#111;color:#ddd;padding:2rem">
<h1>The dashboard is not built</h1>
<p>This konui binary was built without the dashboard. Run <code>make build</code> (or <code>make run</code>) from the repository to build it.</p>`

// Dist returns the dashboard's files, or a page saying how to build them
// when the binary was compiled before the frontend was.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err == nil {
		if _, err := fs.Stat(sub, "index.html"); err == nil {
			return sub
		}
	}
	return fstest.MapFS{"index.html": {Data: []byte(notBuilt)}}
}

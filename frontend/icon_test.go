package frontend

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The browser's favicon is the app icon, linked from the page.
func TestTheFaviconIsTheAppIconAndThePageLinksIt(t *testing.T) {
	icon, err := os.ReadFile(filepath.Join("..", "build", "konui.svg"))
	if err != nil {
		t.Fatal(err)
	}
	fav, err := os.ReadFile(filepath.Join("public", "favicon.svg"))
	if err != nil || !bytes.Equal(icon, fav) {
		t.Fatalf("public/favicon.svg differs from build/konui.svg (run \"make icons\"): %v", err)
	}
	page, _ := os.ReadFile("index.html")
	if !strings.Contains(string(page), `<link rel="icon" type="image/svg+xml" href="./favicon.svg" />`) {
		t.Fatal("index.html does not link the favicon")
	}
}

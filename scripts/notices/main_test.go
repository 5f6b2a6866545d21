package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryLinkedModuleHasItsLicenceAndAMissingOneFails(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, "", "", "github.com/konui/konui/backend/bridge"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"The Go standard library", "Go module github.com/coder/websocket ", "Go module github.com/r3labs/sse/v2 ", "Permission is hereby granted"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in the notices", want)
		}
	}
	if strings.Contains(b.String(), "github.com/konui/konui ") {
		t.Error("konui's own module is listed as third-party")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("no licence here"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := section(&b, "Go module example.com/nolicence v1.0.0", dir); err == nil || !strings.Contains(err.Error(), "no licence file") {
		t.Fatalf("a module without a licence: %v", err)
	}
}

package contract

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generatedTS is the committed output of the generator.
var generatedTS = filepath.Join("..", "..", "frontend", "src", "lib", "generated", "contract.ts")

func TestTheGeneratedTypeScriptIsCurrent(t *testing.T) {
	got, err := os.ReadFile(generatedTS)
	if err != nil {
		t.Fatalf("failed to read the generated TypeScript: %v (run `make generate`)", err)
	}
	want := TypeScript()
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("frontend/src/lib/generated/contract.ts is stale: run `make generate` (or `go generate ./backend/contract`) and commit it\nline %d is   %q\nit should be %q", i+1, g, w)
			}
		}
	}
}

func TestTheGeneratedTypeScriptSaysItIsGenerated(t *testing.T) {
	ts := string(TypeScript())
	if !strings.HasPrefix(ts, "// Code generated ") || !strings.Contains(strings.SplitN(ts, "\n", 2)[0], "DO NOT EDIT.") {
		t.Fatalf("the first line must be Go's generated-file marker, is %q", strings.SplitN(ts, "\n", 2)[0])
	}
	for _, p := range Payloads() {
		if !strings.Contains(ts, "  '"+p.EventType()+"': ") {
			t.Errorf("KonsoleEventData has no entry for %s", p.EventType())
		}
	}
}

func TestEventKeysAreTheConstantNamesWithoutEv(t *testing.T) {
	for typ, key := range map[string]string{"session.created": "sessionCreated", "message": "message", "agent.info": "agentInfo", "permission.rules": "permissionRules"} {
		if got := eventKey(typ); got != key {
			t.Errorf("eventKey(%q) = %q, want %q", typ, got, key)
		}
	}
}

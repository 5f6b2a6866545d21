package konsole

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAnExposedTokenIsRememberedAcrossRestarts: the stored token outlives
// Konsole, so the fact that an agent saw it must too.
func TestAnExposedTokenIsRememberedAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	e := loadExposure(dir, "the-token")
	if e.watch([]byte(`[{"type":"tool_result","content":"no secret here"}]`)) || e.isExposed("the-token") {
		t.Fatal("exposed without the token in sight")
	}
	if !e.watch([]byte(`[{"type":"tool_result","content":"the-token\n"}]`)) || e.watch([]byte(`"the-token"`)) {
		t.Fatal("the first sight is not reported exactly once")
	}
	again := loadExposure(dir, "the-token")
	if !again.isExposed("the-token") || again.isExposed("a-new-token") {
		t.Fatal("the exposure was not remembered for that token only")
	}
	fi, err := os.Stat(filepath.Join(dir, exposedFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the record: %v %v", err, fi)
	}
}

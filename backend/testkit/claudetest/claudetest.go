// Package claudetest finds the pinned Claude Code CLI for tests and gives
// it an offline environment on the fake Messages API. It imports nothing of
// Konsole, so that the tests of Konsole's own parts (sessions, kontaskmcp)
// use it as konsoletest does.
package claudetest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Path returns the pinned Claude Code CLI (.tools/claude;
// KONUI_TEST_CLAUDE overrides it), failing the test with the command to
// run when it is not installed.
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("KONUI_TEST_CLAUDE"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", ".tools", "claude", "node_modules", ".bin", "claude")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the Claude Code CLI is not installed at %s: run \"make setup\" (or set KONUI_TEST_CLAUDE)", p)
	}
	return p
}

// Env is the environment for the CLI: offline, on the fake API at apiURL,
// with a throwaway HOME.
func Env(home, apiURL string) []string {
	return []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"ANTHROPIC_BASE_URL=" + apiURL,
		"ANTHROPIC_API_KEY=sk-ant-fake-key-for-tests",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_AUTOUPDATER=1",
		"DISABLE_TELEMETRY=1",
	}
}

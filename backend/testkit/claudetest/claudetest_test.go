package claudetest_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/konui/konui/backend/testkit/claudetest"
)

func TestThePinnedCLIRunsAndTheEnvironmentIsOffline(t *testing.T) {
	out, err := exec.Command(claudetest.Path(t), "--version").Output()
	if err != nil || !strings.Contains(string(out), "Claude Code") {
		t.Fatalf("claude --version: %q %v", out, err)
	}
	env := claudetest.Env("/tmp/home", "http://127.0.0.1:1")
	for _, want := range []string{"HOME=/tmp/home", "ANTHROPIC_BASE_URL=http://127.0.0.1:1", "DISABLE_AUTOUPDATER=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("no %s in %v", want, env)
		}
	}
}

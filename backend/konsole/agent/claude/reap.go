package claude

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
)

// AgentTagEnv names the environment variable that marks every process an
// agent starts. Claude Code runs its Bash tool in a new session (setsid), out
// of the agent's process group, so signalling the group does not reach it:
// once the agent has exited, the processes still carrying its tag are
// killed, so that a killed agent leaves no tool running.
const AgentTagEnv = "KONUI_AGENT_TAG"

func newAgentTag() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// withTag returns env (the caller's environment when nil) plus the tag.
func withTag(env []string, tag string) []string {
	if env == nil {
		env = os.Environ()
	}
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, AgentTagEnv+"=") {
			out = append(out, kv)
		}
	}
	return append(out, AgentTagEnv+"="+tag)
}

// reapTagged kills every process whose environment carries tag, and returns
// their pids. It reads /proc; where there is none it does nothing.
func reapTagged(tag string) []int {
	want := []byte(AgentTagEnv + "=" + tag + "\x00")
	var killed []int
	seen := map[int]bool{}
	for pass := 0; pass < 3; pass++ {
		ents, err := os.ReadDir("/proc")
		if err != nil {
			return killed
		}
		found := false
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() || seen[pid] {
				continue
			}
			env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
			if err != nil || !(bytes.HasPrefix(env, want) || bytes.Contains(env, append([]byte{0}, want...))) {
				continue
			}
			if killPid(pid) == nil {
				seen[pid], found = true, true
				killed = append(killed, pid)
			}
		}
		if !found {
			break
		}
	}
	return killed
}

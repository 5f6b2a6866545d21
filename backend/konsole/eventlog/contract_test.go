package eventlog

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/konui/konui/internal/contract"
)

// konsoleEvents in konsole-events.ts names each type as its Go constant
// does, without the Ev (sessionCreated is EvSessionCreated).
func TestKonsoleEventTypesAreTheSameInGoAndTypeScript(t *testing.T) {
	inGo, err := contract.GoStrings("events.go", "Ev")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := contract.TSObject(filepath.Join("..", "..", "..", "frontend", "src", "lib", "konsole-events.ts"), "konsoleEvents")
	if err != nil {
		t.Fatal(err)
	}
	inTS := map[string]string{}
	for k, v := range ts {
		inTS["Ev"+strings.ToUpper(k[:1])+k[1:]] = v
	}
	if len(inGo) == 0 || !maps.Equal(inGo, inTS) {
		t.Fatalf("backend/konsole/eventlog/events.go has %v,\nkonsoleEvents in frontend/src/lib/konsole-events.ts %v: keep them the same",
			sorted(inGo), sorted(inTS))
	}
}

func sorted(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

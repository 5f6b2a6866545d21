package konsole_test

import (
	"os"
	"strings"
	"testing"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// The title limit says 200 characters, and a character of a non-Latin
// script is several bytes.
func TestTitleLimitsCountCharactersNotBytes(t *testing.T) {
	exe, _ := os.Executable()
	h := kt.Start(t, kt.Options{Claude: exe})
	full, over := strings.Repeat("日", 200), strings.Repeat("é", 201)
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "title": full})
	if status != 201 || s["title"] != full {
		t.Fatalf("create with 200 three-byte characters = %d %v", status, s["error"])
	}
	if status, _ := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "title": over}); status != 400 {
		t.Fatalf("create with 201 characters = %d", status)
	}
	sid := s["id"].(string)
	if status, s := h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"title": strings.Repeat("é", 200)}); status != 200 {
		t.Fatalf("rename to 200 two-byte characters = %d %v", status, s["error"])
	}
	if status, _ := h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"title": over}); status != 400 {
		t.Fatalf("rename to 201 characters = %d", status)
	}
}

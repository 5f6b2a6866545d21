package konsoletest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/store"
)

// Seed writes a session with n transcript messages into a Konsole data
// folder (Konsole must not be running on it), for benchmarks of the
// dashboard with long sessions. Turns alternate prompt, answer, a tool call
// and its result, and the turn's end. It returns the session id.
func Seed(dataDir, cwd, title string, n int) (string, error) {
	st, err := store.Open(filepath.Join(dataDir, "konsole.db"))
	if err != nil {
		return "", err
	}
	defer st.Close()
	id := uuid.NewString()
	now := time.Now().UTC()
	sess := map[string]any{"id": id, "cwd": cwd, "status": "idle", "model": "", "agentSessionId": "", "title": title,
		"createdAt": now, "updatedAt": now, "pendingPermissions": 0, "totalCostUsd": 0}
	b, _ := json.Marshal(sess)
	if err := st.SaveSession(id, b, "", now.Format(time.RFC3339Nano)); err != nil {
		return "", err
	}
	at := now.Format(time.RFC3339Nano)
	add := func(turn, role string, content any) error {
		c, _ := json.Marshal(content)
		_, err := st.AddMessage(store.MessageRow{SessionID: id, TurnID: turn, Role: role, Content: c, At: at})
		return err
	}
	for i := 0; i < n; {
		turn := fmt.Sprintf("turn-%d", i)
		steps := []func() error{
			func() error {
				return add(turn, "user", []any{map[string]any{"type": "text", "text": fmt.Sprintf("Question %d: what does line %d of main.go do?", i, i)}})
			},
			func() error {
				return add(turn, "assistant", []any{map[string]any{"type": "text", "text": fmt.Sprintf(
					"Line %d **reads the configuration** and then:\n\n- opens the store\n- starts the server\n\n```go\nsrv := konsole.New(cfg)\n```", i)}})
			},
			func() error {
				return add(turn, "assistant", []any{map[string]any{"type": "tool_use", "id": "tu-" + turn, "name": "Bash",
					"input": map[string]any{"command": fmt.Sprintf("sed -n %dp main.go", i)}}})
			},
			func() error {
				return add(turn, "user", []any{map[string]any{"type": "tool_result", "tool_use_id": "tu-" + turn, "content": "srv := konsole.New(cfg)"}})
			},
			func() error {
				return add(turn, "turn", []any{map[string]any{"type": contract.EvTurnCompleted, "reason": "completed", "costUsd": 0.001, "durationMs": 1200}})
			},
		}
		for _, step := range steps {
			if i >= n {
				break
			}
			if err := step(); err != nil {
				return "", err
			}
			i++
		}
	}
	return id, nil
}

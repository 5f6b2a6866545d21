package kontask

import (
	"encoding/json"
	"testing"
)

func TestToolSchemasAreJSONObjects(t *testing.T) {
	for name, s := range map[string]json.RawMessage{ToolCreate: CreateSchema, ToolList: ListSchema, ToolUpdate: UpdateSchema} {
		var m map[string]any
		if err := json.Unmarshal(s, &m); err != nil || m["type"] != "object" {
			t.Fatalf("%s schema: %v %v", name, err, m["type"])
		}
	}
	if ClaudeToolCreate != "mcp__konsole__kontask_create" {
		t.Fatal(ClaudeToolCreate)
	}
}

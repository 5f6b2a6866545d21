package bridge

import (
	"encoding/json"
	"errors"

	"github.com/konui/konui/backend/bridge/hub"
)

// mustJSON encodes a frame or a body as the hub encodes frames.
func mustJSON(v any) []byte { return hub.Encode(v) }

// ackJSON is the answer to request ref: ok with result, or the sentence and
// machine-readable code of err (an *APIError; anything else is "internal").
func ackJSON(ref string, result json.RawMessage, err error) []byte {
	a := map[string]any{"type": "ack", "ref": ref, "ok": err == nil}
	if len(result) > 0 && err == nil {
		a["result"] = result
	}
	if err != nil {
		code := CodeInternal
		var e *APIError
		if errors.As(err, &e) && e.Code != "" {
			code = e.Code
		}
		a["error"], a["code"] = err.Error(), code
	}
	return mustJSON(a)
}

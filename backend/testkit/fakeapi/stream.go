package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// stream writes reply as Messages API server-sent events, pausing ChunkDelay
// between text chunks; it stops early when the client goes away (an interrupt).
func (s *Server) stream(w http.ResponseWriter, r *http.Request, req *Request, reply Reply) {
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	send := func(event string, data any) bool {
		b, _ := json.Marshal(data)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		return r.Context().Err() == nil
	}
	if !send("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_fake", "type": "message", "role": "assistant", "model": modelOf(req), "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": usageOf(reply, true),
	}}) {
		return
	}
	words := reply.ChunkWords
	if words <= 0 {
		words = 1
	}
	for i, b := range reply.Blocks {
		if b.Tool != nil {
			if !send("content_block_start", map[string]any{"type": "content_block_start", "index": i,
				"content_block": map[string]any{"type": "tool_use", "id": b.Tool.ID, "name": b.Tool.Name, "input": map[string]any{}}}) {
				return
			}
			in, _ := json.Marshal(b.Tool.Input)
			if !send("content_block_delta", map[string]any{"type": "content_block_delta", "index": i,
				"delta": map[string]any{"type": "input_json_delta", "partial_json": string(in)}}) {
				return
			}
		} else {
			if !send("content_block_start", map[string]any{"type": "content_block_start", "index": i,
				"content_block": map[string]any{"type": "text", "text": ""}}) {
				return
			}
			for _, chunk := range chunks(b.Text, words) {
				if reply.ChunkDelay > 0 {
					select {
					case <-time.After(reply.ChunkDelay):
					case <-r.Context().Done():
						return
					}
				}
				if !send("content_block_delta", map[string]any{"type": "content_block_delta", "index": i,
					"delta": map[string]any{"type": "text_delta", "text": chunk}}) {
					return
				}
			}
		}
		if !send("content_block_stop", map[string]any{"type": "content_block_stop", "index": i}) {
			return
		}
	}
	send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stopReason(reply), "stop_sequence": nil},
		"usage": usageOf(reply, false)})
	send("message_stop", map[string]any{"type": "message_stop"})
}

// chunks splits text into pieces of n words, keeping the spaces so that the
// pieces join back to the text exactly.
func chunks(text string, n int) []string {
	if text == "" {
		return nil
	}
	var out []string
	start, count := 0, 0
	for i := 0; i < len(text); i++ {
		if text[i] == ' ' {
			count++
			if count == n {
				out = append(out, text[start:i+1])
				start, count = i+1, 0
			}
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// Package fakeapi is a fake Anthropic Messages API on loopback, so that the
// real Claude Code CLI runs offline in tests and benchmarks.
//
// Start reading at Start (fakeapi.go) and DefaultScript (script.go), whose
// [[...]] commands inside a prompt choose the reply: a streamed text, a Bash
// or MCP tool call, a slow long answer to stop. Set FAKEAPI_DUMP to a folder
// to keep every request body the CLI sent there, when the CLI's wire format
// needs looking at.
package fakeapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/konui/konui/backend/shared/httpjson"
)

// Block is one content block of a scripted reply: text, or a tool call.
type Block struct {
	Text string
	Tool *ToolUse
}

// ToolUse asks the client to call a tool.
type ToolUse struct {
	ID    string
	Name  string
	Input any
}

// Reply is what the fake answers to one Messages request.
type Reply struct {
	Blocks []Block
	// ChunkDelay is the pause between streamed text chunks.
	ChunkDelay time.Duration
	// ChunkWords is the number of words per text delta (default 1).
	ChunkWords int
	// Usage is the token count the reply reports; 100 in and 20 out when nil.
	Usage *Usage
}

// Usage is the token count of a reply, as the Messages API reports it.
type Usage struct {
	Input, Output, CacheRead, CacheWrite int
}

// usageOf is the usage object of a reply: all of it, or (start) the
// count a stream opens with, one output token so far.
func usageOf(reply Reply, start bool) map[string]any {
	u := Usage{Input: 100, Output: 20}
	if reply.Usage != nil {
		u = *reply.Usage
	}
	if start {
		u.Output = 1
	}
	return map[string]any{"input_tokens": u.Input, "output_tokens": u.Output,
		"cache_read_input_tokens": u.CacheRead, "cache_creation_input_tokens": u.CacheWrite}
}

// Script chooses the reply to a request. It runs on the request's goroutine.
type Script func(r *Request) Reply

// Request is one recorded call to POST /v1/messages.
type Request struct {
	Model    string
	Stream   bool
	System   string
	Messages []Message
	Tools    []string
	At       time.Time
	// NewResults are the tool results this fake has not seen before: when
	// set, the request continues a tool call instead of starting a turn.
	NewResults []ToolResult
}

// Message is one entry of the request's conversation.
type Message struct {
	Role    string
	Text    string // all text blocks joined
	Results []ToolResult
	// Prompt is the text of the newest text block, system reminders removed.
	// The CLI merges a new prompt into the message that carries earlier tool
	// results, so whether a request is a new prompt or a tool continuation is
	// told by NewResults, not by the order of blocks.
	Prompt string
	// Images are the image blocks of the message, as received.
	Images []Image
}

// Image is one base64 image block a client sent.
type Image struct {
	MediaType string
	Data      string // base64, exactly as received
}

// ToolResult is a tool_result block sent back by the client.
type ToolResult struct {
	ToolUseID string
	Content   string
	IsError   bool
}

// LastUser returns the newest user message, or the zero Message.
func (r *Request) LastUser() Message {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i]
		}
	}
	return Message{}
}

// Transcript returns every text of the conversation, oldest first, joined by newlines.
func (r *Request) Transcript() string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Text)
		b.WriteByte('\n')
		for _, tr := range m.Results {
			b.WriteString(tr.Content)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Server is a fake Anthropic Messages API on loopback.
// The caller should call Close.
type Server struct {
	URL string

	srv    *http.Server
	ln     net.Listener
	script Script

	mu       sync.Mutex
	requests []*Request
	toolSeq  int
	answered map[string]bool
	hook     func(*Request)
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves script.
// A nil script uses DefaultScript.
func Start(addr string, script Script) (*Server, error) {
	if script == nil {
		script = DefaultScript
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to listen on %s: %w", addr, err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, script: script}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }() // ends with http.ErrServerClosed at Close
	return s, nil
}

// Close stops the server and ends open streams.
func (s *Server) Close() error { return s.srv.Close() }

// OnRequest sets a function called for every conversation request (after it is recorded).
func (s *Server) OnRequest(f func(*Request)) {
	s.mu.Lock()
	s.hook = f
	s.mu.Unlock()
}

// Requests returns the streamed conversation requests seen so far.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.requests...)
}

// ServeHTTP answers the routes the Claude Code CLI calls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages":
		s.messages(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages/count_tokens":
		httpjson.Write(w, http.StatusOK, map[string]any{"input_tokens": 100})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		httpjson.Write(w, http.StatusOK, map[string]any{"data": []any{map[string]any{
			"id": "claude-fake-1", "type": "model", "display_name": "Claude Fake", "created_at": "2026-01-01T00:00:00Z",
		}}, "has_more": false, "first_id": "claude-fake-1", "last_id": "claude-fake-1"})
	case r.URL.Path == "/":
		w.WriteHeader(http.StatusOK)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"type":"error","error":{"type":"not_found_error","message":"not found"}}`)
	}
}

type rawRequest struct {
	Model    string          `json:"model"`
	Stream   bool            `json:"stream"`
	System   json.RawMessage `json:"system"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name string `json:"name"`
	} `json:"tools"`
}

type rawBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
	Source    struct {
		Type      string `json:"type"`
		MediaType string `json:"media_type"`
		Data      string `json:"data"`
	} `json:"source"`
}

func parseRequest(body []byte) (*Request, error) {
	var raw rawRequest
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	req := &Request{Model: raw.Model, Stream: raw.Stream, System: textOf(raw.System), At: time.Now()}
	for _, t := range raw.Tools {
		req.Tools = append(req.Tools, t.Name)
	}
	for _, m := range raw.Messages {
		msg := Message{Role: m.Role}
		var blocks []rawBlock
		if err := json.Unmarshal(m.Content, &blocks); err != nil {
			msg.Text = textOf(m.Content)
			msg.Prompt = promptOf(msg.Text)
		}
		var texts []string
		for _, b := range blocks {
			switch b.Type {
			case "text":
				texts = append(texts, b.Text)
				if p := promptOf(b.Text); p != "" {
					msg.Prompt = p
				}
			case "image":
				msg.Images = append(msg.Images, Image{MediaType: b.Source.MediaType, Data: b.Source.Data})
			case "tool_result":
				msg.Results = append(msg.Results, ToolResult{ToolUseID: b.ToolUseID, Content: textOf(b.Content), IsError: b.IsError})
			}
		}
		if len(texts) > 0 {
			msg.Text = strings.Join(texts, "\n")
		}
		req.Messages = append(req.Messages, msg)
	}
	return req, nil
}

// textOf flattens a string or an array of text blocks.
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []rawBlock
	if json.Unmarshal(raw, &blocks) == nil {
		var parts []string
		for _, b := range blocks {
			if b.Type == "text" {
				parts = append(parts, b.Text)
			}
		}
		return strings.Join(parts, "\n")
	}
	return string(raw)
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if os.Getenv("FAKEAPI_DUMP") != "" {
		if err := os.WriteFile(fmt.Sprintf("%s/req-%d.json", os.Getenv("FAKEAPI_DUMP"), time.Now().UnixNano()), body, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "fakeapi: failed to dump a request:", err)
		}
	}
	req, err := parseRequest(body)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"type":"error","error":{"type":"invalid_request_error","message":%q}}`, err.Error())
		return
	}
	s.mu.Lock()
	if s.answered == nil {
		s.answered = map[string]bool{}
	}
	for _, tr := range req.LastUser().Results {
		if !s.answered[tr.ToolUseID] {
			req.NewResults = append(req.NewResults, tr)
		}
	}
	if req.Stream && len(req.Tools) > 0 {
		for _, tr := range req.NewResults {
			s.answered[tr.ToolUseID] = true
		}
	}
	s.mu.Unlock()
	reply := s.script(req)
	s.mu.Lock()
	for i := range reply.Blocks {
		if t := reply.Blocks[i].Tool; t != nil && t.ID == "" {
			s.toolSeq++
			t.ID = fmt.Sprintf("toolu_fake_%04d", s.toolSeq)
		}
	}
	var hook func(*Request)
	if req.Stream && len(req.Tools) > 0 {
		// Only the conversation itself carries tools; title and probe calls do not.
		s.requests = append(s.requests, req)
		hook = s.hook
	}
	s.mu.Unlock()
	if hook != nil {
		hook(req)
	}
	if !req.Stream {
		httpjson.Write(w, http.StatusOK, s.message(req, reply))
		return
	}
	s.stream(w, r, req, reply)
}

func stopReason(reply Reply) string {
	for _, b := range reply.Blocks {
		if b.Tool != nil {
			return "tool_use"
		}
	}
	return "end_turn"
}

func (s *Server) message(req *Request, reply Reply) map[string]any {
	var content []any
	for _, b := range reply.Blocks {
		if b.Tool != nil {
			content = append(content, map[string]any{"type": "tool_use", "id": b.Tool.ID, "name": b.Tool.Name, "input": b.Tool.Input})
		} else {
			content = append(content, map[string]any{"type": "text", "text": b.Text})
		}
	}
	return map[string]any{
		"id": "msg_fake", "type": "message", "role": "assistant", "model": modelOf(req),
		"content": content, "stop_reason": stopReason(reply), "stop_sequence": nil,
		"usage": usageOf(reply, false),
	}
}

func modelOf(req *Request) string {
	if req.Model != "" {
		return req.Model
	}
	return "claude-fake-1"
}

package konsole_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary play a misbehaving agent (the helper-process
// pattern): Konsole runs it instead of the CLI when KONUI_FAKE_AGENT is set.
func TestMain(m *testing.M) {
	if os.Getenv("KONUI_FAKE_CALLER") != "" {
		os.Exit(fakeCaller()) // see security_caller_test.go
	}
	if mode := os.Getenv("KONUI_FAKE_AGENT"); mode != "" {
		os.Exit(fakeAgent(mode))
	}
	if dir := os.Getenv("KONUI_CRASH_WRITER"); dir != "" {
		os.Exit(crashWriter(dir)) // see crash_test.go
	}
	os.Exit(m.Run())
}

func emit(v any) {
	b, _ := json.Marshal(v)
	os.Stdout.Write(append(b, '\n'))
}

// fakeAgent speaks just enough stream-json to misbehave in one chosen way:
//
//	garbage            garbage and unknown lines around a correct turn
//	ignore-interrupt   streams forever, ignores interrupts and SIGINT/SIGTERM
//	crash              writes to stderr and exits 3 on the first prompt
//	caller             runs a child process that makes the HTTP calls the
//	                   prompt lists, and streams their answers as text
//	deaf-flood         asks permission for a 1 MiB tool input, then never
//	                   reads stdin again while it floods stdout
func fakeAgent(mode string) int {
	if mode == "ignore-interrupt" {
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var msg struct {
			Type    string `json:"type"`
			Message struct {
				Content json.RawMessage `json:"content"`
			} `json:"message"`
		}
		if json.Unmarshal(in.Bytes(), &msg) != nil || msg.Type != "user" {
			continue
		}
		emit(map[string]any{"type": "system", "subtype": "init", "session_id": "fake-agent-session"})
		switch mode {
		case "garbage":
			fmt.Println("this is not json")
			fmt.Println(`{"no_type": true}`)
			fmt.Println(`{"type":"stream_event","event":"not an object"}`)
			fmt.Println(`{"type":"assistant","message":"wrong shape"}`)
			fmt.Println(`{"type":"brand_new_type","x":1}`)
			fmt.Println(`[1,2,3]`)
			fmt.Println(strings.Repeat("x", 200_000))
			emit(map[string]any{"type": "stream_event", "event": map[string]any{"type": "content_block_delta", "index": 0,
				"delta": map[string]any{"type": "text_delta", "text": "survived"}}})
			emit(map[string]any{"type": "assistant", "message": map[string]any{"role": "assistant",
				"content": []any{map[string]any{"type": "text", "text": "survived"}}}})
			emit(map[string]any{"type": "result", "subtype": "success", "is_error": false, "result": "survived",
				"total_cost_usd": 0.01, "duration_ms": 5, "session_id": "fake-agent-session"})
		case "ignore-interrupt":
			for i := 0; ; i++ {
				emit(map[string]any{"type": "stream_event", "event": map[string]any{"type": "content_block_delta", "index": 0,
					"delta": map[string]any{"type": "text_delta", "text": fmt.Sprintf("w%d ", i)}}})
				time.Sleep(20 * time.Millisecond)
			}
		case "crash":
			fmt.Fprintln(os.Stderr, "fatal: the fake agent crashed on purpose")
			return 3
		case "deaf-flood":
			deafFlood()
			return 0
		case "caller":
			out := runCaller(promptText(msg.Message.Content))
			emit(map[string]any{"type": "stream_event", "event": map[string]any{"type": "content_block_delta", "index": 0,
				"delta": map[string]any{"type": "text_delta", "text": out}}})
			emit(map[string]any{"type": "result", "subtype": "success", "is_error": false, "result": "called",
				"total_cost_usd": 0.01, "duration_ms": 5, "session_id": "fake-agent-session"})
		}
	}
	return 0
}

// deafFlood asks for a permission whose answer (it echoes the input) is far
// bigger than a pipe holds, stops reading stdin, and writes more stdout than
// Konsole's reader buffers, so that Konsole's reader must keep draining while
// the answer cannot be written. It ends when signalled or after a minute.
func deafFlood() {
	emit(map[string]any{"type": "control_request", "request_id": "perm-big", "request": map[string]any{
		"subtype": "can_use_tool", "tool_name": "Bash", "tool_use_id": "toolu_big",
		"input": map[string]any{"command": strings.Repeat("y", 1<<20)}}})
	pad := strings.Repeat("z", 1000)
	for i := 0; i < 2000; i++ {
		text := pad
		if i == 1999 {
			text = "end of flood"
		}
		emit(map[string]any{"type": "stream_event", "event": map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": text}}})
	}
	time.Sleep(time.Minute)
}

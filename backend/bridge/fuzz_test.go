package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// fuzzKonsole is a Konsole stub whose answers the fuzzer controls through
// the frames it sends: a prompt is answered with its own text as the body
// (so Konsole's answer is arbitrary bytes too), a stop with a 409 whose
// body is the session id, a permission with its message; a kontask offers
// its own id as its only choice, in a session named after it ("none..."
// kontasks have none).
func fuzzKonsole() *httptest.Server {
	mux := http.NewServeMux()
	body := func(r *http.Request) map[string]string {
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		return m
	}
	mux.HandleFunc("POST /v1/sessions/{id}/prompt", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, body(r)["text"])
	})
	mux.HandleFunc("POST /v1/sessions/{id}/stop", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, r.PathValue("id"))
	})
	mux.HandleFunc("POST /v1/sessions/{id}/permissions/{rid}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body(r)["message"])
	})
	mux.HandleFunc("GET /v1/kontasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		sid := "s-" + id
		if strings.HasPrefix(id, "none") {
			sid = ""
		}
		json.NewEncoder(w).Encode(map[string]any{"id": id, "sessionId": sid, "context": map[string]any{"choices": []any{map[string]any{"value": id}}}})
	})
	mux.HandleFunc("PATCH /v1/kontasks/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	return httptest.NewServer(mux)
}

// FuzzFrameDecoder sends arbitrary bytes as a client frame through
// Bridge.handleRequest, against the stub above or a Konsole that is not
// there: it must never panic, and must answer with exactly one JSON object
// of type "ack" (valid UTF-8: it goes out as a text frame) whose ref is the
// request's id, ok:false always with an error, within the request timeout.
func FuzzFrameDecoder(f *testing.F) {
	for _, s := range []string{
		`{"id":"r1-abc","type":"ping"}`,
		`{"id":"r2","type":"prompt","sessionId":"s","text":"{\"turnId\":\"t\"}","clientMessageId":"cm"}`,
		`{"id":"r3","type":"stop","sessionId":"s"}`,
		`{"id":"r4","type":"permission","sessionId":"s","requestId":"q","behavior":"allow","message":"{}"}`,
		`{"id":"r5","type":"kontask.choose","kontaskId":"k","value":"k"}`,
		`{"id":"r6","type":"kontask.choose","kontaskId":"none","value":"none"}`,
		`not json`, `{"type":"ping"}`, `[1]`, `{"id":7,"type":"ping"}`,
	} {
		f.Add([]byte(s), false)
	}
	stub := fuzzKonsole()
	f.Cleanup(stub.Close)
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	up, err := New(Config{KonsoleURL: stub.URL, KonsoleToken: "k", Token: "b", RequestTimeout: 2 * time.Second, Logger: lg})
	if err != nil {
		f.Fatal(err)
	}
	down, err := New(Config{KonsoleURL: "http://127.0.0.1:1", KonsoleToken: "k", Token: "b", RequestTimeout: 2 * time.Second, Logger: lg})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, konsoleDown bool) {
		b := up
		if konsoleDown {
			b = down
		}
		start := time.Now()
		out := b.handleRequest(context.Background(), data)
		if took := time.Since(start); took > b.cfg.RequestTimeout+time.Second {
			t.Fatalf("answered after %s", took)
		}
		if !utf8.Valid(out) {
			t.Fatalf("the ack is not UTF-8: %q", out)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		var ack map[string]json.RawMessage
		if err := dec.Decode(&ack); err != nil {
			t.Fatalf("the ack is not a JSON object: %q", out)
		}
		if dec.More() {
			t.Fatalf("more than one JSON value: %q", out)
		}
		var typ, ref, errText string
		var ok bool
		if json.Unmarshal(ack["type"], &typ) != nil || typ != "ack" {
			t.Fatalf("type %s: %q", ack["type"], out)
		}
		if json.Unmarshal(ack["ok"], &ok) != nil || json.Unmarshal(ack["ref"], &ref) != nil {
			t.Fatalf("ok or ref missing: %q", out)
		}
		var code string
		if !ok && (json.Unmarshal(ack["error"], &errText) != nil || errText == "" || json.Unmarshal(ack["code"], &code) != nil || code == "") {
			t.Fatalf("a failure without an error and its code: %q", out)
		}
		var req struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(data, &req) == nil && req.ID != "" && ref != strings.ToValidUTF8(req.ID, "\uFFFD") {
			t.Fatalf("ref %q for id %q", ref, req.ID)
		}
	})
}

// TestWriteFuzzSeeds records the seed corpora of FuzzSSEReader and
// FuzzFrameDecoder from real data: the raw bytes of Konsole's event stream
// (a real Konsole and the real Claude Code CLI on the fake Messages API)
// for a text turn, a kontask, a tool call with a permission request, a
// stopped turn and a replay that starts with a reset; and the frames the
// dashboard sends (frontend/src/lib/console-client.ts: {id, type, ...fields}).
// It runs only with KONUI_WRITE_FUZZ_SEEDS=1, from backend/bridge.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KONUI_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set KONUI_WRITE_FUZZ_SEEDS=1 to rewrite the seed corpora")
	}
	write := func(target, name string, vals ...any) {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, v := range vals {
			switch v := v.(type) {
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", v)
			case int64:
				fmt.Fprintf(&b, "int64(%d)\n", v)
			case bool:
				fmt.Fprintf(&b, "bool(%v)\n", v)
			}
		}
		// FuzzSSEReader lives with the reader, in package upstream.
		dir := "testdata"
		if target == "FuzzSSEReader" {
			dir = filepath.Join("upstream", "testdata")
		}
		p := filepath.Join(dir, "fuzz", target, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	k := kt.Start(t, kt.Options{})
	sid := k.CreateSession()
	// record opens the raw stream after since, runs do, and returns the
	// bytes up to the end of the turn do started, with the stream's start.
	record := func(since int64, do func() string) ([]byte, int64) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", k.URL+"/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+k.Token)
		if since >= 0 {
			req.Header.Set("Last-Event-ID", strconv.FormatInt(since, 10))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		start, _ := strconv.ParseInt(resp.Header.Get("Konsole-Stream-Start"), 10, 64)
		turn := do()
		var raw bytes.Buffer
		buf := make([]byte, 32<<10)
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			n, err := resp.Body.Read(buf)
			raw.Write(buf[:n])
			if err != nil {
				break
			}
			if turn == "" || (bytes.Contains(raw.Bytes(), []byte(`"type":"turn.completed","sessionId":"`+sid+`","turnId":"`+turn)) && bytes.HasSuffix(raw.Bytes(), []byte("\n\n"))) {
				if turn == "" && raw.Len() == 0 {
					continue
				}
				break
			}
		}
		return raw.Bytes(), start
	}
	prompt := func(text string) string { return k.Prompt(sid, text) }
	seeds := []struct {
		name string
		do   func() string
	}{
		{"text-turn", func() string { return prompt("hello from the fuzz seeds") }},
		{"kontask-turn", func() string {
			return prompt(`[[kontask: {"title":"Seed report","output":"<h2>Done</h2>","choices":[{"label":"Ship","value":"Ship it","primary":true}]}]]`)
		}},
		{"tool-permission-turn", func() string {
			turn := prompt("[[bash: echo seeded > seeded.txt; cat seeded.txt]]")
			go func() {
				// Answer the permission request, if the CLI asks one.
				for i := 0; i < 100; i++ {
					req, _ := http.NewRequest("GET", k.URL+"/v1/sessions/"+sid+"/permissions", nil)
					req.Header.Set("Authorization", "Bearer "+k.Token)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						return
					}
					var perms struct{ Permissions []struct{ RequestID string } }
					json.NewDecoder(resp.Body).Decode(&perms)
					resp.Body.Close()
					if len(perms.Permissions) > 0 {
						req, _ := http.NewRequest("POST", k.URL+"/v1/sessions/"+sid+"/permissions/"+perms.Permissions[0].RequestID, strings.NewReader(`{"behavior":"allow"}`))
						req.Header.Set("Authorization", "Bearer "+k.Token)
						if resp, err := http.DefaultClient.Do(req); err == nil {
							resp.Body.Close()
						}
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			return turn
		}},
		{"stopped-turn", func() string {
			turn := prompt("[[long 30]]")
			time.Sleep(300 * time.Millisecond)
			k.Do("POST", "/v1/sessions/"+sid+"/stop", nil)
			return turn
		}},
	}
	for _, s := range seeds {
		raw, start := record(-1, s.do)
		if len(raw) > 48<<10 {
			raw = raw[:48<<10]
		}
		write("FuzzSSEReader", s.name, raw, start)
	}
	// A resume from an id Konsole never wrote (Konsole lost its log, or
	// this is another Konsole): the stream starts with a reset.
	raw, start := record(1_000_000, func() string { return prompt("after the log was trimmed") })
	if !bytes.HasPrefix(raw, []byte("event: reset")) {
		t.Fatalf("no reset: %.200s", raw)
	}
	if len(raw) > 48<<10 {
		raw = raw[:48<<10]
	}
	write("FuzzSSEReader", "reset-replay", raw, start)

	for i, fr := range []string{
		`{"id":"r1-k3j9x","type":"ping"}`,
		`{"id":"r2-1a2b3c","type":"prompt","sessionId":"` + sid + `","text":"hello from the dashboard","clientMessageId":"cm-5f2a9c1e"}`,
		`{"id":"r3-zz91","type":"stop","sessionId":"` + sid + `"}`,
		`{"id":"r4-q0","type":"permission","sessionId":"` + sid + `","requestId":"toolu_01ABC","behavior":"deny"}`,
		`{"id":"r5-p1","type":"permission","sessionId":"` + sid + `","requestId":"toolu_01ABC","behavior":"allow","message":"ok"}`,
		`{"id":"r6-c7","type":"kontask.choose","kontaskId":"k-1","value":"k-1"}`,
		`{"id":"r7-x","type":"prompt","sessionId":"s","text":"{\"turnId\":\"t-1\",\"duplicate\":false}"}`,
	} {
		write("FuzzFrameDecoder", fmt.Sprintf("dashboard-%d", i), []byte(fr), false)
	}
	write("FuzzFrameDecoder", "konsole-down", []byte(`{"id":"r8","type":"prompt","sessionId":"s","text":"hi"}`), true)
}

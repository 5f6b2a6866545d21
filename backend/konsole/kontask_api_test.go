package konsole_test

import (
	"fmt"
	"github.com/konui/konui/backend/contract"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

func createKontask(t *testing.T, h *kt.Harness, body any) map[string]any {
	t.Helper()
	status, k := h.Do("POST", "/v1/kontasks", body)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, k)
	}
	return k
}

func titles(t *testing.T, h *kt.Harness, query string) (string, map[string]any) {
	t.Helper()
	status, r := h.Do("GET", "/v1/kontasks"+query, nil)
	if status != 200 {
		t.Fatalf("list %s: %d %v", query, status, r)
	}
	var out []string
	for _, k := range r["kontasks"].([]any) {
		out = append(out, k.(map[string]any)["title"].(string))
	}
	return strings.Join(out, ","), r
}

func TestRESTCreatesAKontaskInTheDesignShapeAndAnnouncesIt(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	k := createKontask(t, h, map[string]any{"title": "From a script", "description": "d", "scope": "ops", "tags": []string{"cron"},
		"context": map[string]any{"output": "<p>hi</p>", "choices": []any{map[string]any{"label": "Go", "value": "go on", "primary": true}}}})
	var keys []string
	for key := range k {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	want := "context,createdAt,createdBy,description,id,readAt,requestId,scope,sessionId,status,tags,targetUser,title,type,updatedAt"
	if strings.Join(keys, ",") != want {
		t.Fatalf("keys %v, want %s", keys, want)
	}
	ctx := k["context"].(map[string]any)
	if ctx["output"] != "<p>hi</p>" || len(ctx["choices"].([]any)) != 1 || k["createdBy"] != "api" || k["readAt"] != nil ||
		k["status"] != "pending" || k["type"] != "general" {
		t.Fatalf("kontask = %v", k)
	}
	evs := st.Until(t, 5*time.Second, func(e kt.Event) bool { return e.Type == contract.EvKontaskCreated })
	got := evs[len(evs)-1].DataMap()["kontask"].(map[string]any)
	if got["id"] != k["id"] || got["title"] != "From a script" {
		t.Fatalf("event kontask = %v", got)
	}
	// The flat form of the tool works too.
	flat := createKontask(t, h, map[string]any{"title": "Flat", "output": "<b>x</b>", "choices": []any{map[string]any{"label": "a", "value": "b"}}})
	if flat["context"].(map[string]any)["output"] != "<b>x</b>" {
		t.Fatalf("flat = %v", flat)
	}
}

func TestInvalidKontasksGet400WithASentenceAndNothingIsStored(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	var eleven []any
	for i := 0; i < 11; i++ {
		eleven = append(eleven, map[string]any{"label": fmt.Sprint("L", i), "value": "v"})
	}
	big := strings.Repeat("x", 1<<20+1)
	cases := []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"empty title", map[string]any{"title": " "}, 400, "title is required"},
		{"long title", map[string]any{"title": strings.Repeat("t", 201)}, 400, "title is 201 characters long"},
		{"eleven choices", map[string]any{"title": "t", "choices": eleven}, 400, "choices has 11 entries"},
		{"empty label", map[string]any{"title": "t", "choices": []any{map[string]any{"label": "", "value": "v"}}}, 400, "choices[0].label is required"},
		{"output over 1 MiB", map[string]any{"title": "t", "output": big}, 400, "output is 1048577 bytes"},
		{"output over 1 MiB in context", map[string]any{"title": "t", "context": map[string]any{"output": big}}, 400, "output is 1048577 bytes"},
		{"bad status", map[string]any{"title": "t", "status": "done"}, 400, `status \"done\" is not one of`},
		{"bad type", map[string]any{"title": "t", "type": "A B"}, 400, "type"},
		{"bad tag", map[string]any{"title": "t", "tags": []string{"two words"}}, 400, "tags[0]"},
		{"unknown session", map[string]any{"title": "t", "sessionId": "nope"}, 400, `sessionId \"nope\" names no session`},
		{"output twice", map[string]any{"title": "t", "output": "a", "context": map[string]any{"output": "b"}}, 400, "not both"},
		{"malformed", `{"title":`, 400, "malformed JSON"},
		{"body over 8 MiB", `{"title":"t","output":"` + strings.Repeat("x", 8<<20) + `"}`, 413, "larger than"},
	}
	for _, c := range cases {
		status, raw := h.DoRaw("POST", "/v1/kontasks", c.body, h.Token)
		if status != c.status || !strings.Contains(string(raw), c.want) {
			t.Fatalf("%s: %d %.300s, want %d containing %q", c.name, status, raw, c.status, c.want)
		}
		code := "bad_request"
		if status == 413 {
			code = "too_large"
		}
		if !strings.Contains(string(raw), `"code":"`+code+`"`) {
			t.Fatalf("%s: %s", c.name, raw)
		}
	}
	if got, r := titles(t, h, ""); got != "" || r["total"].(float64) != 0 {
		t.Fatalf("stored: %v", r)
	}
}

func TestKontasksAreListedNewestFirstWithFiltersAndPaging(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	var ids []string
	for i := 0; i < 7; i++ {
		b := map[string]any{"title": fmt.Sprint("K", i), "description": fmt.Sprint("about widget ", i), "scope": "even", "tags": []string{"all", "even"}}
		if i%2 == 1 {
			b["scope"], b["tags"], b["status"] = "odd", []string{"all", "odd"}, "completed"
		}
		ids = append(ids, createKontask(t, h, b)["id"].(string))
	}
	h.Do("PATCH", "/v1/kontasks/"+ids[0], map[string]any{"read": true})
	h.Do("PATCH", "/v1/kontasks/"+ids[3], map[string]any{"read": true})
	cases := map[string]string{
		"":                            "K6,K5,K4,K3,K2,K1,K0",
		"?status=completed":           "K5,K3,K1",
		"?scope=even":                 "K6,K4,K2,K0",
		"?tag=odd":                    "K5,K3,K1",
		"?unread=true":                "K6,K5,K4,K2,K1",
		"?unread=false":               "K3,K0",
		"?q=WIDGET+4":                 "K4",
		"?q=k2":                       "K2",
		"?status=pending&unread=true": "K6,K4,K2",
		"?tag=nothing":                "",
	}
	for q, want := range cases {
		if got, _ := titles(t, h, q); got != want {
			t.Fatalf("%q: %s, want %s", q, got, want)
		}
	}
	var all []string
	query := "?limit=3"
	for pages := 0; ; pages++ {
		got, r := titles(t, h, query)
		all = append(all, got)
		if r["total"].(float64) != 7 {
			t.Fatalf("total %v", r["total"])
		}
		next, _ := r["nextCursor"].(string)
		if next == "" {
			break
		}
		query = "?limit=3&cursor=" + url.QueryEscape(next)
	}
	if strings.Join(all, "|") != "K6,K5,K4|K3,K2,K1|K0" {
		t.Fatalf("pages %v", all)
	}
	for _, bad := range []string{"?status=done", "?unread=maybe", "?limit=0", "?limit=501", "?limit=x", "?cursor=garbage"} {
		status, raw := h.DoRaw("GET", "/v1/kontasks"+bad, nil, h.Token)
		if status != 400 || !strings.Contains(string(raw), `"code":"bad_request"`) {
			t.Fatalf("%s: %d %s", bad, status, raw)
		}
	}
}

func TestPatchChangesStatusAndReadAndAnnouncesIt(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	id := createKontask(t, h, map[string]any{"title": "Patch me"})["id"].(string)
	st := h.Events(-1)
	status, k := h.Do("PATCH", "/v1/kontasks/"+id, map[string]any{"status": "completed", "read": true})
	if status != 200 || k["status"] != "completed" || k["readAt"] == nil || k["updatedAt"] == k["createdAt"] {
		t.Fatalf("patch: %d %v", status, k)
	}
	evs := st.Until(t, 5*time.Second, func(e kt.Event) bool { return e.Type == contract.EvKontaskUpdated })
	if got := evs[len(evs)-1].DataMap()["kontask"].(map[string]any); got["status"] != "completed" || got["readAt"] != k["readAt"] {
		t.Fatalf("kontask.updated = %v", got)
	}
	if _, k = h.Do("PATCH", "/v1/kontasks/"+id, map[string]any{"read": false}); k["readAt"] != nil {
		t.Fatalf("read:false = %v", k)
	}
	if _, k = h.Do("GET", "/v1/kontasks/"+id, nil); k["readAt"] != nil || k["status"] != "completed" {
		t.Fatalf("stored = %v", k)
	}
	cases := []struct {
		method, path string
		body         any
		status       int
		want         string
	}{
		{"PATCH", "/v1/kontasks/" + id, map[string]any{"status": "done"}, 400, "is not one of"},
		{"PATCH", "/v1/kontasks/" + id, map[string]any{}, 400, "nothing to change"},
		{"PATCH", "/v1/kontasks/" + id, map[string]any{"read": "yes"}, 400, "must be true or false, not a string"},
		{"PATCH", "/v1/kontasks/nope", map[string]any{"read": true}, 404, `no kontask with id \"nope\"`},
		{"GET", "/v1/kontasks/nope", nil, 404, "not_found"},
		{"DELETE", "/v1/kontasks/" + id, nil, 405, "method_not_allowed"},
		{"GET", "/mcp", nil, 405, "MCP requests are POSTed"},
	}
	for _, c := range cases {
		status, raw := h.DoRaw(c.method, c.path, c.body, h.Token)
		if status != c.status || !strings.Contains(string(raw), c.want) {
			t.Fatalf("%s %s %v: %d %s", c.method, c.path, c.body, status, raw)
		}
	}
	if status, _ := h.DoRaw("GET", "/v1/kontasks", nil, ""); status != 401 {
		t.Fatalf("no token: %d", status)
	}
}

package kontaskmcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/kontask"
	"github.com/konui/konui/backend/konsole/kontaskmcp"
	"github.com/konui/konui/backend/konsole/store"
)

func TestTheServerListsTheThreeKontaskToolsWithCreateLoadedUpFront(t *testing.T) {
	r := newRig(t)
	res, err := r.client("").ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		deferred := tool.Meta["anthropic/alwaysLoad"] == false
		if tool.Name == kontask.ToolCreate && deferred {
			t.Errorf("%s is deferred behind ToolSearch, where an agent would not look for it", tool.Name)
		}
		if tool.Name != kontask.ToolCreate && !deferred {
			t.Errorf("%s is loaded up front (meta %v); only %s should be", tool.Name, tool.Meta, kontask.ToolCreate)
		}
		if tool.InputSchema == nil || tool.Description == "" {
			t.Errorf("%s has no schema or description", tool.Name)
		}
	}
	slices.Sort(names)
	if want := []string{kontask.ToolCreate, kontask.ToolList, kontask.ToolUpdate}; !slices.Equal(names, want) {
		t.Fatalf("tools %v, want %v", names, want)
	}
}

// kontaskEvents are the kontask events in the log, oldest first.
func (r *rig) kontaskEvents() []store.EventRow {
	r.t.Helper()
	r.log.Flush()
	rows, err := r.st.EventsAfter(0, 1<<62, 100_000)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []store.EventRow
	for _, row := range rows {
		if strings.HasPrefix(row.Type, "kontask.") {
			out = append(out, row)
		}
	}
	return out
}

func (r *rig) total() int {
	r.t.Helper()
	_, page, err := r.svc.List(store.KontaskQuery{Limit: 100})
	if err != nil {
		r.t.Fatal(err)
	}
	return page.Total
}

// Every refusal is a tool error the agent can act on (it names what to
// fix), and nothing is stored or announced.
func TestKontaskCreateRefusesBadInputAndStoresNothing(t *testing.T) {
	r := newRig(t)
	cs := r.client("")
	for _, c := range []struct {
		name string
		args map[string]any
		says string
	}{
		{"no title", map[string]any{"title": ""}, "title"},
		{"a misspelt field", map[string]any{"titel": "Report"}, "the fields are title, description"},
		{"a title too long", map[string]any{"title": strings.Repeat("t", kontask.MaxTitle+1)}, "the limit is 200"},
		{"output over 1 MiB", map[string]any{"title": "Big", "output": strings.Repeat("x", kontask.MaxOutputBytes+1)}, "the limit is 1048576"},
		{"too many choices", map[string]any{"title": "Choose", "choices": slices.Repeat([]any{map[string]any{"label": "A", "value": "a"}}, kontask.MaxChoices+1)}, "choices"},
		{"a wrong type", map[string]any{"title": 7}, "the arguments do not fit"},
	} {
		text, isErr := call(t, cs, kontask.ToolCreate, c.args)
		if !isErr || !strings.HasPrefix(text, "No kontask was created") || !strings.Contains(text, c.says) {
			t.Errorf("%s: error %v, %q; want a tool error saying %q", c.name, isErr, text, c.says)
		}
	}
	if n := r.total(); n != 0 {
		t.Fatalf("%d kontasks stored after refusals only", n)
	}
	if evs := r.kontaskEvents(); len(evs) != 0 {
		t.Fatalf("refusals announced %d kontask events", len(evs))
	}
}

func TestKontaskCreateStoresTheKontaskAndAnnouncesItOnce(t *testing.T) {
	r := newRig(t)
	text, isErr := call(t, r.client(""), kontask.ToolCreate, map[string]any{"title": "Report", "output": "<h2>Done</h2>",
		"choices": []any{map[string]any{"label": "Ship", "value": "Ship it"}}})
	if isErr || !strings.Contains(text, "delivered to the user") || !strings.Contains(text, "(1 choices)") {
		t.Fatalf("answer %q (error %v)", text, isErr)
	}
	list, _, err := r.svc.List(store.KontaskQuery{Limit: 10})
	if err != nil || len(list) != 1 {
		t.Fatalf("stored %d kontasks (%v), want 1", len(list), err)
	}
	k := list[0]
	if !strings.Contains(text, k.ID) || k.Title != "Report" || k.CreatedBy != "mcp" || k.SessionID != "" || k.Status != kontask.StatusPending {
		t.Fatalf("stored %+v; the operator's kontask is pending, by mcp, in no session, and the answer names its id", k)
	}
	evs := r.kontaskEvents()
	if len(evs) != 1 || evs[0].Type != contract.EvKontaskCreated || !bytes.Contains(evs[0].Line, []byte(k.ID)) {
		t.Fatalf("events %+v, want one kontask.created of %s", evs, k.ID)
	}
}

// The HTTP edge of /mcp answers in Konsole's JSON: a body over the bound
// is 413 too_large (not the SDK's plain text), a GET is 405 with Allow.
func TestMCPsHTTPErrorsAreKonsolesJSON(t *testing.T) {
	r := newRig(t)
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"kontask_create","arguments":{"title":"x","output":"` +
		strings.Repeat("x", kontaskmcp.MaxKontaskBodyBytes) + `"}}}`
	req, _ := http.NewRequest("POST", r.srv.URL+"/mcp", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error, Code string }
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || e.Code != "too_large" || !strings.HasPrefix(e.Error, "MCP: ") {
		t.Fatalf("an oversized body: %d %+v, want 413 too_large in Konsole's JSON", resp.StatusCode, e)
	}
	resp, err = http.Get(r.srv.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" || e.Code != "method_not_allowed" {
		t.Fatalf("GET /mcp: %d Allow %q %+v", resp.StatusCode, resp.Header.Get("Allow"), e)
	}
	if n := r.total(); n != 0 {
		t.Fatalf("%d kontasks stored", n)
	}
}

// A 2026-07-28 client's notification without its Mcp-Method header (Claude
// Code's notifications/cancelled) is accepted; a request without it is not.
func TestANotificationWithoutItsMethodHeaderIsAccepted(t *testing.T) {
	r := newRig(t)
	post := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", r.srv.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", "2026-07-28")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"listen:0","reason":"timeout"}}`); code != http.StatusAccepted {
		t.Fatalf("a cancellation without Mcp-Method: %d %s, want 202", code, body)
	}
	if code, body := post(`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`); code != http.StatusBadRequest || !strings.Contains(body, `"code"`) {
		t.Fatalf("a request without Mcp-Method: %d %s, want 400 in Konsole's JSON", code, body)
	}
}

// A session's token binds what its agent does to that session: the
// kontasks it creates are the session's (by claude, in its running turn),
// it lists its own unless it asks for all, and it cannot change another
// session's kontask. The operator is bound to none.
func TestASessionsTokenBindsItsKontasksToThatSession(t *testing.T) {
	r := newRig(t)
	a, tokA := r.session()
	_, tokB := r.session()
	ca, cb, op := r.client(tokA), r.client(tokB), r.client("")
	if text, isErr := call(t, ca, kontask.ToolCreate, map[string]any{"title": "From A"}); isErr {
		t.Fatal(text)
	}
	list, _, _ := r.svc.List(store.KontaskQuery{Limit: 10})
	if len(list) != 1 || list[0].SessionID != a || list[0].CreatedBy != "claude" {
		t.Fatalf("stored %+v, want A's kontask by claude", list)
	}
	ka := list[0].ID

	listed := func(cs *mcp.ClientSession, args map[string]any) []string {
		text, isErr := call(t, cs, kontask.ToolList, args)
		if isErr {
			t.Fatal(text)
		}
		var out struct{ Kontasks []struct{ ID string } }
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			t.Fatalf("kontask_list answered %q: %v", text, err)
		}
		var ids []string
		for _, k := range out.Kontasks {
			ids = append(ids, k.ID)
		}
		return ids
	}
	if ids := listed(cb, nil); len(ids) != 0 {
		t.Fatalf("B lists %v by default; a session lists its own kontasks", ids)
	}
	if ids := listed(cb, map[string]any{"all": true}); !slices.Equal(ids, []string{ka}) {
		t.Fatalf("B lists %v with all, want [%s]", ids, ka)
	}
	if ids := listed(ca, nil); !slices.Equal(ids, []string{ka}) {
		t.Fatalf("A lists %v, want its own [%s]", ids, ka)
	}

	text, isErr := call(t, cb, kontask.ToolUpdate, map[string]any{"id": ka, "status": "completed"})
	if !isErr || !strings.Contains(text, "belongs to another session") {
		t.Fatalf("B changed A's kontask: %q (error %v)", text, isErr)
	}
	if k, _ := r.svc.Get(ka); k.Status != kontask.StatusPending {
		t.Fatalf("A's kontask is %s after B's refused change", k.Status)
	}
	if text, isErr := call(t, ca, kontask.ToolUpdate, map[string]any{"id": ka, "status": "completed"}); isErr || !strings.Contains(text, "is now completed") {
		t.Fatalf("A could not change its own kontask: %q", text)
	}
	if text, isErr := call(t, op, kontask.ToolUpdate, map[string]any{"id": ka, "status": "dismissed"}); isErr {
		t.Fatalf("the operator could not change a session's kontask: %q", text)
	}
}

// A session's token holds while that very agent runs: not once revoked,
// not for a session whose agent ended, never forged. A call with a token
// that no longer holds is bound to no session.
func TestASessionsTokenHoldsOnlyWhileItsAgentRuns(t *testing.T) {
	r := newRig(t)
	a, tokA := r.session()
	b, tokB := r.session()
	if !r.svc.ValidToken(tokA) || !r.svc.ValidToken(tokB) {
		t.Fatal("a running agent's token is not valid")
	}
	forged := strings.Replace(tokA, a, b, 1)
	flip := "A"
	if strings.HasSuffix(tokA, "A") {
		flip = "B"
	}
	flipped := tokA[:len(tokA)-1] + flip
	for name, tok := range map[string]string{"another session's id under A's mac": forged, "a changed mac": flipped, "Konsole's kind of token": "k-0123", "empty": ""} {
		if r.svc.ValidToken(tok) {
			t.Errorf("%s is accepted", name)
		}
	}
	r.svc.Revoke(a)
	if r.svc.ValidToken(tokA) {
		t.Fatal("a revoked token is still valid")
	}
	if text, isErr := call(t, r.client(tokA), kontask.ToolCreate, map[string]any{"title": "After revoke"}); isErr {
		t.Fatal(text)
	}
	list, _, _ := r.svc.List(store.KontaskQuery{Limit: 10})
	if len(list) != 1 || list[0].SessionID != "" {
		t.Fatalf("a revoked token's kontask: %+v, want one in no session", list)
	}
	if err := r.mgr.End(b); err != nil {
		t.Fatal(err)
	}
	// End returns once the agent's process and its run loop have ended.
	if r.svc.ValidToken(tokB) {
		t.Fatal("the token of an ended session's agent is still valid")
	}
}

// An agent in a loop is stopped by its session's rate; the operator is not
// limited.
func TestASessionOverItsToolRateIsToldToWait(t *testing.T) {
	saved := kontaskmcp.ToolRates[kontask.ToolList]
	kontaskmcp.ToolRates[kontask.ToolList] = kontaskmcp.ToolRate{Burst: 2, Every: time.Hour}
	t.Cleanup(func() { kontaskmcp.ToolRates[kontask.ToolList] = saved })
	r := newRig(t)
	_, tok := r.session()
	cs, op := r.client(tok), r.client("")
	for i := range 2 {
		if text, isErr := call(t, cs, kontask.ToolList, nil); isErr {
			t.Fatalf("call %d within the burst: %q", i+1, text)
		}
	}
	text, isErr := call(t, cs, kontask.ToolList, nil)
	if !isErr || !strings.Contains(text, "more than 2 times in a row") {
		t.Fatalf("the call over the burst: %q (error %v), want told to wait", text, isErr)
	}
	for i := range 3 {
		if text, isErr := call(t, op, kontask.ToolList, nil); isErr {
			t.Fatalf("the operator's call %d was limited: %q", i+1, text)
		}
	}
}

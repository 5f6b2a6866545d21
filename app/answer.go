package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/shared/textclip"
)

// Answering from a notification. A kontask's notice carries up to three
// of its choices as buttons, a permission request's notice Allow, Deny and
// Always allow; a press answers exactly as the dashboard does (the bridge's
// kontask.choose and permission paths). When the thing is answered
// anywhere (permission.resolved, kontask.updated) its notice is withdrawn.

// Button keys: "choose:N" is the kontask's choice N.
const (
	actChoose = "choose:"
	actAllow  = "allow"
	actDeny   = "deny"
	actAlways = "always"
)

// Notification text limits, in characters: what servers show in full.
const (
	noteTitleChars = 80
	noteBodyChars  = 240
	noteLabelChars = 40
)

// clip cuts s to at most n characters, the ellipsis included.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return strings.ToValidUTF8(s, string(utf8.RuneError))
	}
	return textclip.Head(s, n-1)
}

// maxChoiceButtons is how many choices a kontask's notice offers.
const maxChoiceButtons = 3

// waitingPerm is a permission request waiting for an answer.
type waitingPerm struct {
	SessionID, ToolName string
	// Konsole is the id of the Konsole that asks.
	Konsole string
	At      time.Time
}

func groupOf(sessionID string) string {
	if sessionID == "" {
		return ""
	}
	return "session:" + sessionID
}

// choiceActions are the buttons of a kontask's notice: up to three of its
// choices, the primary ones first, keyed by their index in the kontask.
func choiceActions(raw json.RawMessage) []Action {
	var k struct {
		Context struct {
			Choices []struct {
				Label   string `json:"label"`
				Primary bool   `json:"primary"`
			} `json:"choices"`
		} `json:"context"`
	}
	if json.Unmarshal(raw, &k) != nil {
		return nil
	}
	idx := make([]int, len(k.Context.Choices))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		pa, pb := k.Context.Choices[a].Primary, k.Context.Choices[b].Primary
		if pa == pb {
			return 0
		}
		if pa {
			return -1
		}
		return 1
	})
	var out []Action
	for _, i := range idx[:min(len(idx), maxChoiceButtons)] {
		out = append(out, Action{Key: actChoose + strconv.Itoa(i), Label: clip(k.Context.Choices[i].Label, noteLabelChars)})
	}
	return out
}

// toolSummary says what a tool call will do: the command, the file, else
// its input, clipped on characters.
func toolSummary(input json.RawMessage) string {
	var in map[string]any
	// input that is not an object has none of the keys: the fallbacks below apply.
	_ = json.Unmarshal(input, &in)
	for _, key := range []string{"command", "file_path", "notebook_path", "path", "url", "pattern"} {
		if v, ok := in[key].(string); ok && v != "" {
			return clip(v, noteBodyChars-40)
		}
	}
	return clip(string(input), noteBodyChars-40)
}

// permissionRequested remembers a waiting request and notifies it.
func (d *Desktop) permissionRequested(konsoleID, sessionID string, data json.RawMessage) {
	var p contract.PermissionRequest
	// malformed data has no request id, and is ignored below.
	_ = json.Unmarshal(data, &p)
	if p.RequestID != "" {
		d.mu.Lock()
		d.perms[p.RequestID] = waitingPerm{SessionID: sessionID, ToolName: p.ToolName, Konsole: konsoleID, At: time.Now()}
		d.mu.Unlock()
		d.renderTray()
	}
	if !d.wantNotify(func(s Settings) bool { return s.NotifyPermissions }, true) {
		return
	}
	tool := clip(p.ToolName, 40)
	d.queue(Notification{Title: clip("Claude asks to use "+tool, noteTitleChars),
		Body:   clip("In "+d.title(sessionID)+": "+toolSummary(p.Input), noteBodyChars),
		Target: "session:" + sessionID, Key: "permission:" + p.RequestID, Group: groupOf(sessionID), Konsole: konsoleID,
		Actions: []Action{{Key: actAllow, Label: "Allow"}, {Key: actDeny, Label: "Deny"},
			{Key: actAlways, Label: clip("Always allow "+tool+" in this session", noteLabelChars+20)}}})
}

// permissionResolved forgets an answered request and withdraws its notice.
func (d *Desktop) permissionResolved(data json.RawMessage) {
	var p contract.PermissionResolved
	if json.Unmarshal(data, &p) != nil || p.RequestID == "" {
		return
	}
	d.mu.Lock()
	delete(d.perms, p.RequestID)
	d.mu.Unlock()
	d.renderTray()
	d.withdraw("permission:" + p.RequestID)
}

// clicked opens what a notification points at, or answers from a button
// off the click loop (an answer is a round trip to Konsole).
func (d *Desktop) clicked(c Click) {
	switch {
	case c.Action == "" || c.Action == "default":
		d.openSeen(c.Target)
	case strings.HasPrefix(c.Key, "kontask:") && strings.HasPrefix(c.Action, actChoose),
		strings.HasPrefix(c.Key, "permission:") && (c.Action == actAllow || c.Action == actDeny || c.Action == actAlways):
		d.mu.Lock()
		busy := d.pressing[c.Key]
		d.pressing[c.Key] = true
		d.mu.Unlock()
		if busy {
			d.told(c.Key, "Already being answered", "Konui is sending your first answer.")
			return
		}
		d.workers.Go(func() {
			defer func() { d.mu.Lock(); delete(d.pressing, c.Key); d.mu.Unlock() }()
			d.press(c)
		})
	default:
		d.openSeen(c.Target)
	}
}

// told shows a short notice about an answer, in the place of the one pressed.
func (d *Desktop) told(key, title, body string) {
	d.queue(Notification{Title: title, Body: body, Key: "told:" + key})
}

// press answers from a notification's button.
func (d *Desktop) press(c Click) {
	d.mu.Lock()
	var b *bridge.Bridge
	if d.stack != nil {
		b = d.stack.Bridge
	}
	d.mu.Unlock()
	if b == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if id, ok := strings.CutPrefix(c.Key, "kontask:"); ok {
		d.pressChoice(ctx, b, id, strings.TrimPrefix(c.Action, actChoose))
		return
	}
	reqID := strings.TrimPrefix(c.Key, "permission:")
	d.mu.Lock()
	p, waiting := d.perms[reqID]
	d.mu.Unlock()
	if !waiting {
		d.told(c.Key, "Already answered", "This request was answered elsewhere; nothing was sent.")
		return
	}
	behavior, msg := "allow", ""
	if c.Action == actDeny {
		behavior, msg = "deny", "Denied from the notification."
	}
	_, err := b.AnswerPermission(ctx, p.SessionID, reqID, behavior, msg, c.Action == actAlways)
	switch {
	case bridge.ErrorCode(err) == "not_found":
		d.told(c.Key, "Already answered", "This request was answered elsewhere; nothing was sent.")
	case err != nil:
		d.told(c.Key, "The answer did not reach Claude", clip(err.Error(), noteBodyChars))
	}
}

// pressChoice sends kontask id's choice (its index as text) unless the
// kontask was already answered.
func (d *Desktop) pressChoice(ctx context.Context, b *bridge.Bridge, id, index string) {
	k, err := d.getKontask(ctx, id)
	if err != nil {
		d.told("kontask:"+id, "The choice did not reach Claude", clip(err.Error(), noteBodyChars))
		return
	}
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= len(k.Context.Choices) {
		return
	}
	if k.Status != "pending" {
		d.told("kontask:"+id, "Choice already made", clip("“"+k.Title+"” was already answered; nothing was sent.", noteBodyChars))
		return
	}
	res, err := b.ChooseKontask(ctx, id, k.Context.Choices[i].Value)
	if err != nil {
		d.told("kontask:"+id, "The choice did not reach Claude", clip(err.Error(), noteBodyChars))
		return
	}
	var out struct {
		Duplicate bool `json:"duplicate"`
	}
	if json.Unmarshal(res, &out) == nil && out.Duplicate {
		d.told("kontask:"+id, "Choice already made", clip("“"+k.Title+"” was already answered; nothing was sent.", noteBodyChars))
	}
}

// kontaskView is what pressChoice reads of a kontask.
type kontaskView struct {
	Title, Status string
	Context       struct {
		Choices []struct{ Value string } `json:"choices"`
	} `json:"context"`
}

// getKontask reads a kontask through the bridge.
func (d *Desktop) getKontask(ctx context.Context, id string) (kontaskView, error) {
	d.mu.Lock()
	base, token := d.url, d.token
	d.mu.Unlock()
	var k kontaskView
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/kontasks/"+url.PathEscape(id), nil)
	if err != nil {
		return k, fmt.Errorf("failed to read the kontask: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return k, fmt.Errorf("failed to read the kontask: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return k, fmt.Errorf("failed to read the kontask: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&k); err != nil {
		return k, fmt.Errorf("failed to read the kontask: %w", err)
	}
	return k, nil
}

// turnFinished lists a session's finished turn in the tray while the
// window is in the background, until seen.
func (d *Desktop) turnFinished(konsoleID, sessionID string) {
	d.mu.Lock()
	unseen := !d.focused && sessionID != ""
	if unseen {
		d.finished[sessionID] = trayEntry{TrayItem{Target: "session:" + sessionID}, time.Now(), konsoleID}
	}
	d.mu.Unlock()
	if unseen {
		d.renderTray()
	}
}

// seen takes a session's finished turn off the tray; "" takes them all
// (the window came to the front).
func (d *Desktop) seen(sessionID string) {
	d.mu.Lock()
	n := len(d.finished)
	if sessionID == "" {
		clear(d.finished)
	} else {
		delete(d.finished, sessionID)
	}
	changed := n != len(d.finished)
	d.mu.Unlock()
	if changed {
		d.renderTray()
	}
}

// openSeen opens a tray entry's target; a session opened is seen.
func (d *Desktop) openSeen(target string) {
	if sid, ok := strings.CutPrefix(target, "session:"); ok {
		d.seen(sid)
	}
	d.open(target)
}

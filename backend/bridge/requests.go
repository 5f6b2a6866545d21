package bridge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/konui/konui/backend/contract"
)

// konsoleAPI calls Konsole's REST API with Konsole's token.
type konsoleAPI struct {
	// endpoint is the base URL and token in use; refresh, when a request
	// failed to connect, asks the Konsole's Resolve for them again.
	endpoint func() (base, token string)
	refresh  func(ctx context.Context) error
	client   *http.Client
}

// APIError is Konsole's JSON error, or a sentence about reaching it, or
// the bridge's own refusal of a frame. Its Code reaches the client in the
// ack: Konsole's codes pass through unchanged, beside the bridge's own.
type APIError struct {
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (e *APIError) Error() string { return e.Message }

// Codes an ack carries besides Konsole's own (docs/protocol.md).
const (
	// CodeBadRequest: the frame was not a request the bridge can send on
	// (not JSON, no id or type, a field missing, an unknown type, a kontask
	// choice that is not offered). Sending it again cannot help.
	CodeBadRequest = "bad_request"
	// CodeKonsoleUnreachable: no connection to Konsole; it may come back.
	CodeKonsoleUnreachable = "konsole_unreachable"
	// CodeKonsoleTimeout: Konsole did not answer within the request timeout.
	CodeKonsoleTimeout = "konsole_timeout"
	// CodeKonsoleError: Konsole answered with something that is not its
	// JSON error (a proxy's page, say).
	CodeKonsoleError = "konsole_error"
	// CodeInternal: the bridge failed in a way it did not foresee.
	CodeInternal = "internal"
)

func badRequest(format string, args ...any) *APIError {
	return &APIError{Code: CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

func (k *konsoleAPI) do(ctx context.Context, method, path string, body any) (json.RawMessage, error) {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		payload = b
	}
	send := func() (*http.Response, string, error) {
		base, token := k.endpoint()
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
		if err != nil {
			return nil, base, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := k.client.Do(req)
		return resp, base, err
	}
	resp, base, err := send()
	if err != nil && ctx.Err() == nil && k.refresh != nil && k.refresh(ctx) == nil {
		// A new endpoint (a tunnel started again): one more try.
		resp, base, err = send()
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, &APIError{Code: CodeKonsoleTimeout, Message: "Konsole did not answer in time"}
		}
		return nil, &APIError{Code: CodeKonsoleUnreachable, Message: fmt.Sprintf("Konsole is unreachable at %s", base)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, &APIError{Code: CodeKonsoleUnreachable, Message: "the connection to Konsole broke: " + err.Error()}
	}
	if resp.StatusCode >= 300 {
		e := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Message == "" {
			e.Message, e.Code = fmt.Sprintf("Konsole answered HTTP %d", resp.StatusCode), CodeKonsoleError
		}
		return nil, e
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	// The answer goes into an ack as it is: something that is not JSON (a
	// proxy's page, a body cut at the limit) would make the ack fail to
	// encode, and invalid UTF-8 would break the client's text frame.
	if !json.Valid(raw) {
		return nil, &APIError{Status: resp.StatusCode, Code: CodeKonsoleError,
			Message: fmt.Sprintf("Konsole answered HTTP %d with something that is not JSON; is %s a Konsole?", resp.StatusCode, base)}
	}
	return bytes.ToValidUTF8(raw, []byte("\uFFFD")), nil
}

// request is a client-to-server frame.
type request struct {
	ID              string `json:"id"`
	Type            string `json:"type"`
	SessionID       string `json:"sessionId"`
	Text            string `json:"text"`
	ClientMessageID string `json:"clientMessageId"`
	RequestID       string `json:"requestId"`
	Behavior        string `json:"behavior"`
	Message         string `json:"message"`
	KontaskID       string `json:"kontaskId"`
	Value           string `json:"value"`
	// WhenBusy "queue" queues a prompt behind a running turn; Mode approves
	// a plan into a mode; Answers answers a question.
	WhenBusy string            `json:"whenBusy,omitempty"`
	Mode     string            `json:"mode,omitempty"`
	Answers  map[string]string `json:"answers,omitempty"`
	// Images are refused on the WebSocket (its frames stay under
	// ReadLimit): a prompt with images goes over REST.
	Images json.RawMessage `json:"images,omitempty"`
	// Always allows the tool for the rest of the session (with "allow").
	Always bool `json:"always,omitempty"`
}

// handleRequest answers one client frame with exactly one ack, within
// RequestTimeout whatever Konsole does.
func (b *Bridge) handleRequest(ctx context.Context, data []byte) []byte {
	var req request
	if err := json.Unmarshal(data, &req); err != nil {
		// A frame with a readable id but a field of the wrong type is
		// answered under its id, so that the client's request ends now.
		var head struct {
			ID string `json:"id"`
		}
		// best effort: a frame with no readable id is answered without one.
		_ = json.Unmarshal(data, &head)
		return ackJSON(head.ID, nil, badRequest("malformed frame: %v", err))
	}
	if req.ID == "" {
		return ackJSON("", nil, badRequest("every request needs an \"id\""))
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.RequestTimeout)
	defer cancel()
	result, err := b.dispatch(ctx, req)
	return ackJSON(req.ID, result, err)
}

func need(fields ...string) error {
	for i := 0; i < len(fields); i += 2 {
		if fields[i+1] == "" {
			return badRequest("%s is required", fields[i])
		}
	}
	return nil
}

func (b *Bridge) dispatch(ctx context.Context, req request) (json.RawMessage, error) {
	sid := url.PathEscape(req.SessionID)
	switch req.Type {
	case "ping":
		return mustJSON(map[string]any{"at": time.Now().UTC().Format(time.RFC3339Nano)}), nil
	case "prompt":
		if err := need("sessionId", req.SessionID, "text", req.Text); err != nil {
			return nil, err
		}
		if len(req.Images) > 0 && string(req.Images) != "null" && string(req.Images) != "[]" {
			return nil, badRequest("a prompt with images goes over POST /api/sessions/{id}/prompt, not the WebSocket")
		}
		cm := req.ClientMessageID
		if cm == "" {
			cm = req.ID
		}
		body := contract.PromptRequest{Text: req.Text, ClientMessageID: cm, WhenBusy: req.WhenBusy}
		return b.sessionDo(ctx, req.SessionID, "POST", "/v1/sessions/"+sid+"/prompt", body)
	case "stop":
		if err := need("sessionId", req.SessionID); err != nil {
			return nil, err
		}
		return b.sessionDo(ctx, req.SessionID, "POST", "/v1/sessions/"+sid+"/stop", nil)
	case "permission":
		if err := need("sessionId", req.SessionID, "requestId", req.RequestID, "behavior", req.Behavior); err != nil {
			return nil, err
		}
		body := contract.PermissionAnswer{Behavior: req.Behavior, Message: req.Message, Mode: req.Mode, Answers: req.Answers, Always: req.Always}
		return b.sessionDo(ctx, req.SessionID, "POST", "/v1/sessions/"+sid+"/permissions/"+url.PathEscape(req.RequestID), body)
	case "kontask.choose":
		if err := need("kontaskId", req.KontaskID, "value", req.Value); err != nil {
			return nil, err
		}
		return b.chooseKontask(ctx, req)
	case "":
		return nil, badRequest("every request needs a \"type\"")
	default:
		return nil, badRequest("unknown request type %q", req.Type)
	}
}

// chooseKontask sends a kontask choice as the next prompt of the kontask's
// session and marks the kontask completed and read.
func (b *Bridge) chooseKontask(ctx context.Context, req request) (json.RawMessage, error) {
	kon, err := b.locate(ctx, kindKontask, req.KontaskID)
	if err != nil {
		return nil, err
	}
	raw, err := kon.api.do(ctx, "GET", "/v1/kontasks/"+url.PathEscape(req.KontaskID), nil)
	if err != nil {
		return nil, err
	}
	var k struct {
		SessionID string `json:"sessionId"`
		Context   struct {
			Choices []struct {
				Value string `json:"value"`
			} `json:"choices"`
		} `json:"context"`
	}
	// a kontask that does not decode has no session, refused below.
	_ = json.Unmarshal(raw, &k)
	if k.SessionID == "" {
		return nil, badRequest("this kontask belongs to no session, so its choice has nowhere to go")
	}
	offered := false
	for _, c := range k.Context.Choices {
		offered = offered || c.Value == req.Value
	}
	if !offered {
		return nil, badRequest("that value is not one of this kontask's choices")
	}
	// The same choice of the same kontask is one prompt, however often it is
	// clicked or retried.
	sum := sha256.Sum256([]byte(req.Value))
	res, err := kon.api.do(ctx, "POST", "/v1/sessions/"+url.PathEscape(k.SessionID)+"/prompt",
		contract.PromptRequest{Text: req.Value, ClientMessageID: "kontask:" + req.KontaskID + ":" + hex.EncodeToString(sum[:8])})
	if err != nil {
		return nil, err
	}
	if _, err := kon.api.do(ctx, "PATCH", "/v1/kontasks/"+url.PathEscape(req.KontaskID), contract.KontaskPatch{Status: ptr("completed"), Read: ptr(true)}); err != nil {
		b.lg.Warn("sent a kontask choice but failed to mark the kontask", "kontask", req.KontaskID, "err", err)
	}
	return res, nil
}

// ptr is a pointer to v, for the optional fields of a body.
func ptr[T any](v T) *T { return &v }

// sessionDo sends a request to the Konsole that has the session.
func (b *Bridge) sessionDo(ctx context.Context, sessionID, method, path string, body any) (json.RawMessage, error) {
	k, err := b.locate(ctx, kindSession, sessionID)
	if err != nil {
		return nil, err
	}
	return k.api.do(ctx, method, path, body)
}

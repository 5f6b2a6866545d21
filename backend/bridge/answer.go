package bridge

import (
	"context"
	"encoding/json"
	"errors"
)

// ChooseKontask sends a kontask's choice exactly as a kontask.choose frame
// does (same prompt, same clientMessageId, same marking), for an answer
// given outside the dashboard, such as a notification's button.
func (b *Bridge) ChooseKontask(ctx context.Context, kontaskID, value string) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.RequestTimeout)
	defer cancel()
	return b.dispatch(ctx, request{ID: "desktop", Type: "kontask.choose", KontaskID: kontaskID, Value: value})
}

// AnswerPermission answers a permission request exactly as a permission
// frame does; always (with "allow") allows the tool for the session.
func (b *Bridge) AnswerPermission(ctx context.Context, sessionID, requestID, behavior, message string, always bool) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.RequestTimeout)
	defer cancel()
	return b.dispatch(ctx, request{ID: "desktop", Type: "permission", SessionID: sessionID, RequestID: requestID,
		Behavior: behavior, Message: message, Always: always})
}

// ErrorCode is the code of an error from ChooseKontask or AnswerPermission
// (Konsole's, such as "not_found", or the bridge's, docs/protocol.md), or ""
// for another error.
func ErrorCode(err error) string {
	var e *APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

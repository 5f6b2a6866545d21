// Package apierror is the error of Konsole's API: an HTTP status, a stable
// machine-readable code and a sentence the user can act on. The sessions,
// the kontasks and the HTTP layer all return it, and Write answers it as
// the {"error","code"} body that docs/protocol.md promises.
package apierror

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/konui/konui/backend/shared/httpjson"
)

// Error is an API error: the HTTP status, a stable code and a sentence.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (e *Error) Error() string { return e.Message }

// New returns an Error with a formatted sentence.
func New(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error codes of the API.
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeTooLarge     = "too_large"
	CodeAgent        = "agent_unavailable"
	CodeInternal     = "internal"
	CodeUnsupported  = "unsupported_media_type"
)

// As turns any error into an API error; unknown errors are internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: err.Error()}
}

// Write answers err as its status and {"error","code"} body (see As); a
// server error is also logged, on slog's default logger.
func Write(w http.ResponseWriter, err error) {
	e := As(err)
	if e.Status >= 500 {
		slog.Default().Warn("request failed", "status", e.Status, "err", e.Message)
	}
	httpjson.Write(w, e.Status, e)
}

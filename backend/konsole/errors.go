package konsole

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an API error: the HTTP status, a stable code and a sentence.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (e *Error) Error() string { return e.Message }

func errorf(status int, code, format string, args ...any) *Error {
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

var errStreamDone = errors.New("stream done")

// asError turns any error into an API error; unknown errors are internal.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: err.Error()}
}

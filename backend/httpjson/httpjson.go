// Package httpjson writes the JSON answers of the tree's HTTP APIs (Konsole,
// the bridge, the fake Messages API): one place that sets the content type,
// the status and the body, and the error shape {"error","code"} that
// docs/protocol.md promises for every error.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Write answers status with v as JSON. An encoding error can only be the
// caller's (a value JSON cannot hold) or a client gone away; neither can be
// answered any more, so it is not reported.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ErrorBody is the JSON of every API error: a sentence and a stable code.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Error answers status with {"error": msg, "code": code}.
func Error(w http.ResponseWriter, status int, code, msg string) {
	Write(w, status, ErrorBody{Error: msg, Code: code})
}

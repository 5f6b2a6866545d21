// Package httpjson writes the JSON answers of the tree's HTTP APIs (Konsole,
// the bridge, the fake Messages API): one place that sets the content type,
// the status and the body, and the error shape {"error","code"} that
// docs/protocol.md promises for every error.
package httpjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// Write answers status with v as JSON. An encoding error can only be the
// caller's (a value JSON cannot hold) or a client gone away; neither can be
// answered any more, so it is not reported.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// After the header nothing can change the answer; the values written
	// here are the package's own types, which encode.
	_ = json.NewEncoder(w).Encode(v)
}

// WriteRaw answers status with b, JSON already encoded (a Konsole's answer
// passed on), written as it is: no newline is added.
func WriteRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
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

// DecodeError says what is wrong with a request body that encoding/json
// refused, in the API's words: the field and the JSON type it takes, not
// the Go type it is read into ("bridge.AddKonsole").
func DecodeError(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		want := jsonKind(te.Type)
		if te.Field == "" {
			return fmt.Sprintf("the body must be a JSON %s, not %s", want, article(te.Value))
		}
		return fmt.Sprintf("%q must be %s, not %s", te.Field, article(want), article(te.Value))
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the body ends before its value does"
	default:
		return "malformed JSON: " + err.Error()
	}
}

// jsonKind is the JSON type a Go type is read from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	default:
		return "value"
	}
}

// article puts "a" or "an" before a JSON type's name ("an array").
func article(kind string) string {
	switch {
	case kind == "true or false", kind == "bool": // a Go bool is JSON's true or false
		return "true or false"
	case strings.HasPrefix(kind, "a"), strings.HasPrefix(kind, "o"):
		return "an " + kind
	default:
		return "a " + kind
	}
}

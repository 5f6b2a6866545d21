package httpjson

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestErrorWritesTheDocumentedShapeWithItsStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, http.StatusConflict, "conflict", "a turn is already running")
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body [256]byte
	n, _ := resp.Body.Read(body[:])
	if resp.StatusCode != 409 || resp.Header.Get("Content-Type") != "application/json" ||
		string(body[:n]) != `{"error":"a turn is already running","code":"conflict"}`+"\n" {
		t.Fatalf("answer %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body[:n])
	}
}

func TestDecodeErrorSaysTheFieldAndTheJSONTypeInTheAPIsWords(t *testing.T) {
	type body struct {
		Name    string `json:"name"`
		Enabled *bool  `json:"enabled"`
		Size    int    `json:"size"`
		Tags    []string
		Inner   struct {
			On bool `json:"on"`
		} `json:"inner"`
	}
	cases := []struct{ in, want string }{
		{`[1]`, "the body must be a JSON object, not an array"},
		{`"x"`, "the body must be a JSON object, not a string"},
		{`{"enabled":"yes"}`, `"enabled" must be true or false, not a string`},
		{`{"name":3}`, `"name" must be a string, not a number`},
		{`{"size":true}`, `"size" must be a number, not true or false`},
		{`{"Tags":{}}`, `"Tags" must be an array, not an object`},
		{`{"inner":{"on":1}}`, `"inner.on" must be true or false, not a number`},
		{`{"name":`, "malformed JSON: the body ends before its value does"},
		{`{name}`, "malformed JSON at byte 2: invalid character 'n' looking for beginning of object key string"},
	}
	for _, c := range cases {
		var v body
		err := json.NewDecoder(strings.NewReader(c.in)).Decode(&v)
		if err == nil {
			t.Fatalf("%s: decoded", c.in)
		}
		if got := DecodeError(err); got != c.want {
			t.Errorf("%s: %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(DecodeError(err), "Go ") || strings.Contains(DecodeError(err), "httpjson.") {
			t.Errorf("%s: %q names Go types", c.in, DecodeError(err))
		}
	}
}

func TestWriteRawSendsTheBytesAsTheyAreWithStatusAndType(t *testing.T) {
	w := httptest.NewRecorder()
	WriteRaw(w, http.StatusCreated, []byte(`{"id":"s1","konsoleId":"local"}`))
	if w.Code != 201 || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != `{"id":"s1","konsoleId":"local"}` {
		t.Fatalf("answer %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}

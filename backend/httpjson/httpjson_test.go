package httpjson

import (
	"net/http"
	"net/http/httptest"
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

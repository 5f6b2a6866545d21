package bridge_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

func (h *bridgeHarness) rest(method, path string, body any) (int, map[string]any) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+h.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// A prompt with images, larger than a WebSocket frame may be, goes over
// the bridge's REST proxy; a WebSocket prompt frame with images is refused
// with the way to send them. The CLI's history is proxied too.
func TestImagesGoOverRESTAndHistoryIsProxied(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	h.waitConnected()
	sid := k.CreateSession()
	img := image.NewRGBA(image.Rect(0, 0, 700, 700))
	rng := rand.New(rand.NewSource(1))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Intn(256))
	}
	img.Set(0, 0, color.RGBA{1, 2, 3, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if b.Len() < 1<<20 {
		t.Fatalf("the test image is only %d bytes", b.Len())
	}
	data := base64.StdEncoding.EncodeToString(b.Bytes())

	c := h.connect("clientId=img")
	a := c.request("prompt", map[string]any{"sessionId": sid, "text": "small frame", "images": []map[string]string{{"mediaType": "image/png", "data": "iVBORw0KGgo="}}})
	if a.OK || a.Code != "bad_request" || !strings.Contains(a.Error, "POST /api/sessions/{id}/prompt") {
		t.Fatalf("a WebSocket frame with images: %+v", a)
	}
	status, r := h.rest("POST", "/api/sessions/"+sid+"/prompt", map[string]any{"text": "a big picture",
		"images": []map[string]string{{"mediaType": "image/png", "data": data}}})
	if status != http.StatusAccepted {
		t.Fatalf("REST prompt with a %d-byte image: %d %v", b.Len(), status, r)
	}
	c.until(60*time.Second, turnDone(r["turnId"].(string)))
	got := 0
	for _, req := range k.Fake.Requests() {
		if strings.Contains(req.LastUser().Text, "a big picture") {
			got = len(req.LastUser().Images)
		}
	}
	if got != 1 {
		t.Fatalf("the model received %d images, want 1", got)
	}
	status, l := h.rest("GET", "/api/history", nil)
	if status != http.StatusOK || len(l["conversations"].([]any)) != 1 {
		t.Fatalf("GET /api/history: %d %v", status, l)
	}
}

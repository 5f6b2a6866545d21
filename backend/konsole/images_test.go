package konsole_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/shared/apierror"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// testImage encodes a small w×h picture as PNG or JPEG, in base64.
func testImage(t *testing.T, format string, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), 90, 255})
		}
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// Images reach the model as image blocks, byte for byte, beside the text,
// and the transcript keeps them with the prompt.
func TestPromptImagesReachTheModelAndTheTranscript(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	pngData, jpegData := testImage(t, "png", 24, 16), testImage(t, "jpeg", 32, 20)
	status, r := h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "what is in these pictures",
		"images": []map[string]string{{"mediaType": "image/png", "data": pngData}, {"mediaType": "image/jpeg", "data": jpegData}}})
	if status != http.StatusAccepted {
		t.Fatalf("prompt with images: %d %v", status, r)
	}
	tid := r["turnId"].(string)
	evs := st.Until(t, 60*time.Second, kt.TurnCompleted(tid))
	if d := evs[len(evs)-1].DataMap(); d["reason"] != sessions.ReasonCompleted {
		t.Fatalf("the turn ended %v", d)
	}
	var got []string
	for _, req := range h.Fake.Requests() {
		if u := req.LastUser(); strings.Contains(u.Text, "what is in these pictures") {
			got = nil
			for _, img := range u.Images {
				got = append(got, img.MediaType+":"+img.Data)
			}
		}
	}
	want := []string{"image/png:" + pngData, "image/jpeg:" + jpegData}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("the model received %d images, want the two sent byte for byte", len(got))
	}
	_, m := h.Do("GET", "/v1/sessions/"+sid+"/messages", nil)
	var blocks []map[string]any
	for _, msg := range m["messages"].([]any) {
		row := msg.(map[string]any)
		if row["role"] == "user" && row["turnId"] == tid {
			b, _ := json.Marshal(row["content"])
			if err := json.Unmarshal(b, &blocks); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(blocks) != 3 || blocks[0]["text"] != "what is in these pictures" {
		t.Fatalf("stored prompt = %v", blocks)
	}
	src := blocks[2]["source"].(map[string]any)
	if blocks[2]["type"] != "image" || src["media_type"] != "image/jpeg" || src["data"] != jpegData {
		t.Fatalf("stored image block = %v", blocks[2])
	}
}

// Every bad image is refused with a 400 naming it, and nothing reaches the
// CLI; a prompt with images is not queued behind a running turn.
func TestPromptImagesAreCheckedFromTheirBytes(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	good := map[string]string{"mediaType": "image/png", "data": testImage(t, "png", 4, 4)}
	eleven := make([]map[string]string, 11)
	for i := range eleven {
		eleven[i] = good
	}
	big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, sessions.MaxImageBytes)...)
	riff := base64.StdEncoding.EncodeToString([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	cases := []struct {
		name   string
		images []map[string]string
		want   string
	}{
		{"too many", eleven, "at most 10 images"},
		{"not an image", []map[string]string{good, {"mediaType": "image/png", "data": base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hi"))}}, "images[1]: the bytes are not a PNG"},
		{"claims another type", []map[string]string{{"mediaType": "image/png", "data": riff}}, "images[0]: the bytes are image/webp, not the \"image/png\""},
		{"too large", []map[string]string{good, good, {"mediaType": "image/png", "data": base64.StdEncoding.EncodeToString(big)}}, "images[2] is larger than 5242880 bytes"},
		{"not base64", []map[string]string{{"mediaType": "image/png", "data": "%%%"}}, "images[0]: data is not standard base64"},
		{"empty", []map[string]string{{"mediaType": "image/gif", "data": ""}}, "images[0]: data is empty"},
	}
	before := len(h.Fake.Requests())
	for _, c := range cases {
		status, raw := h.DoRaw("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "look", "images": c.images}, h.Token)
		var e map[string]any
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		if status != http.StatusBadRequest || e["code"] != apierror.CodeBadRequest || !strings.Contains(e["error"].(string), c.want) {
			t.Errorf("%s: %d %s, want 400 with %q", c.name, status, raw, c.want)
		}
	}
	if n := len(h.Fake.Requests()); n != before {
		t.Fatalf("refused prompts reached the model: %d requests, want %d", n, before)
	}
	if _, s := h.Do("GET", "/v1/sessions/"+sid, nil); s["status"] != sessions.StatusIdle || s["activeTurnId"] != nil {
		t.Fatalf("a refused prompt started a turn: %v", s)
	}

	slow := h.Prompt(sid, "[[long 400]] a long answer")
	status, r := h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "later", "whenBusy": "queue",
		"images": []map[string]string{good}})
	if status != http.StatusConflict || !strings.Contains(r["error"].(string), "not queued") {
		t.Fatalf("a queued prompt with images: %d %v, want 409", status, r)
	}
	h.Do("POST", "/v1/sessions/"+sid+"/stop", nil)
	st.Until(t, 60*time.Second, kt.TurnCompleted(slow))
	if _, q := h.Do("GET", "/v1/sessions/"+sid+"/queue", nil); len(q["queue"].([]any)) != 0 {
		t.Fatalf("the refused prompt was queued: %v", q)
	}
}

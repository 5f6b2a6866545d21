package konsole

import (
	"io"
	"net/http"

	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/shared/apierror"
)

// PromptBodyBytes bounds the body of POST /v1/sessions/{id}/prompt:
// sessions.MaxImages images in base64 beside a text, where every other
// route keeps MaxBodyBytes.
const PromptBodyBytes = sessions.MaxImages*(sessions.MaxImageBytes*4/3+4) + MaxBodyBytes

// countingBody counts the bytes read of a request body.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

// decodePrompt reads a prompt body of at most PromptBodyBytes whose part
// other than the images' data keeps to MaxBodyBytes, like every other
// body; it answers the error itself when it fails.
func decodePrompt(w http.ResponseWriter, r *http.Request, req *sessions.PromptRequest) bool {
	body := &countingBody{ReadCloser: r.Body}
	r.Body = body
	if !decodeLimit(w, r, req, PromptBodyBytes) {
		return false
	}
	rest := body.n
	for _, img := range req.Images {
		rest -= int64(len(img.Data))
	}
	if rest > MaxBodyBytes {
		writeError(w, errorf(http.StatusRequestEntityTooLarge, apierror.CodeTooLarge, "the body is larger than %d bytes without its images", MaxBodyBytes))
		return false
	}
	return true
}

package sessions

import (
	"bytes"
	"encoding/base64"
	"net/http"

	"github.com/konui/konui/backend/shared/apierror"
)

// Limits on the images of one prompt.
const (
	// MaxImages is the most images one prompt carries.
	MaxImages = 10
	// MaxImageBytes bounds one image, decoded.
	MaxImageBytes = 5 << 20
	// MaxPromptTextBytes bounds a prompt's text: the body limit of the
	// HTTP API (konsole.MaxBodyBytes), whose larger prompt body is for the
	// images.
	MaxPromptTextBytes = 1 << 20
)

// imageTypes are the media types the Messages API takes, by their magic
// numbers.
var imageTypes = []struct {
	mediaType string
	match     func([]byte) bool
}{
	{"image/png", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }},
	{"image/jpeg", func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}) }},
	{"image/gif", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	}},
	{"image/webp", func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	}},
}

// sniffImage names the media type of b from its first bytes, or "".
func sniffImage(b []byte) string {
	for _, t := range imageTypes {
		if t.match(b) {
			return t.mediaType
		}
	}
	return ""
}

// checkPrompt refuses a prompt text over MaxPromptTextBytes and bad images.
func checkPrompt(req PromptRequest) error {
	if len(req.Text) > MaxPromptTextBytes {
		return apierror.New(http.StatusRequestEntityTooLarge, apierror.CodeTooLarge, "the prompt text is larger than %d bytes", MaxPromptTextBytes)
	}
	return checkImages(req.Images)
}

// checkImages refuses a prompt's images unless every one is a PNG, JPEG,
// GIF or WebP of at most MaxImageBytes whose bytes are the type it claims;
// the error names the image by its index.
func checkImages(images []PromptImage) error {
	if len(images) > MaxImages {
		return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "a prompt carries at most %d images, not %d", MaxImages, len(images))
	}
	for i, img := range images {
		if base64.StdEncoding.DecodedLen(len(img.Data)) > MaxImageBytes+3 {
			return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "images[%d] is larger than %d bytes", i, MaxImageBytes)
		}
		raw, err := base64.StdEncoding.DecodeString(img.Data)
		switch {
		case err != nil:
			return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "images[%d]: data is not standard base64: %v", i, err)
		case len(raw) == 0:
			return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "images[%d]: data is empty", i)
		case len(raw) > MaxImageBytes:
			return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "images[%d] is larger than %d bytes", i, MaxImageBytes)
		}
		got := sniffImage(raw)
		switch {
		case got == "":
			return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "images[%d]: the bytes are not a PNG, JPEG, GIF or WebP image", i)
		case img.MediaType != got:
			return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "images[%d]: the bytes are %s, not the %q it claims", i, got, img.MediaType)
		}
	}
	return nil
}

// promptContent is a prompt as content blocks: its text, then its images,
// the form both the CLI's stdin and the stored transcript take.
func promptContent(text string, images []PromptImage) []map[string]any {
	content := []map[string]any{{"type": "text", "text": text}}
	for _, img := range images {
		content = append(content, map[string]any{"type": "image",
			"source": map[string]any{"type": "base64", "media_type": img.MediaType, "data": img.Data}})
	}
	return content
}

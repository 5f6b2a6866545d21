package pairing

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"

	qr "github.com/piglig/go-qr"
)

// TestTheTerminalQRCodeDecodesToThePairingString reads the printed blocks
// back into modules, draws them as an image and decodes that.
func TestTheTerminalQRCodeDecodesToThePairingString(t *testing.T) {
	s := Pairing{URL: "https://192.168.10.20:7421", Token: strings.Repeat("ab", 32), Fingerprint: fp}.String()
	var b bytes.Buffer
	if err := PrintQR(&b, s); err != nil {
		t.Fatal(err)
	}
	var rows [][]bool // true: light
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, qrLineStart) || !strings.HasSuffix(line, qrLineEnd) {
			t.Fatalf("line without its colours: %q", line)
		}
		line = strings.TrimSuffix(strings.TrimPrefix(line, qrLineStart), qrLineEnd)
		var top, bottom []bool
		for _, r := range line {
			switch r {
			case '█':
				top, bottom = append(top, true), append(bottom, true)
			case '▀':
				top, bottom = append(top, true), append(bottom, false)
			case '▄':
				top, bottom = append(top, false), append(bottom, true)
			case ' ':
				top, bottom = append(top, false), append(bottom, false)
			default:
				t.Fatalf("unexpected rune %q", r)
			}
		}
		rows = append(rows, top, bottom)
	}
	const scale = 4
	w := len(rows[0])
	img := image.NewGray(image.Rect(0, 0, w*scale, len(rows)*scale))
	for y, row := range rows {
		if len(row) != w {
			t.Fatalf("row %d has %d modules, want %d", y, len(row), w)
		}
		for x, light := range row {
			c := color.Gray{Y: 0}
			if light {
				c = color.Gray{Y: 255}
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetGray(x*scale+dx, y*scale+dy, c)
				}
			}
		}
	}
	got, err := qr.Decode(img)
	if err != nil {
		t.Fatalf("decode the printed QR code: %v\n%s", err, b.String())
	}
	if got != s {
		t.Fatalf("decoded %q, want %q", got, s)
	}
	if lines := strings.Count(b.String(), "\n"); lines > 35 {
		t.Errorf("the code is %d lines tall: too tall for a terminal", lines)
	}
}

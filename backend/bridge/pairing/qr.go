package pairing

import (
	"bufio"
	"fmt"
	"io"

	qr "github.com/piglig/go-qr"
)

// qrBorder is the quiet zone in modules around the code: the four the
// standard asks for, so that a phone reads it against any terminal.
const qrBorder = 4

// Terminal colours of the code: light modules in bright white on black,
// so that it reads the same on a dark and on a light terminal.
const (
	qrLineStart = "\x1b[97;40m"
	qrLineEnd   = "\x1b[0m"
)

// PrintQR writes s as a QR code for a terminal: two rows of modules per
// line in Unicode half blocks, with explicit colours.
func PrintQR(w io.Writer, s string) error {
	code, err := qr.EncodeText(s, qr.Low)
	if err != nil {
		return fmt.Errorf("failed to make the QR code: %w", err)
	}
	size := code.Size()
	light := func(x, y int) bool {
		if x < 0 || y < 0 || x >= size || y >= size {
			return true
		}
		return !code.Module(x, y)
	}
	bw := bufio.NewWriter(w)
	for y := -qrBorder; y < size+qrBorder; y += 2 {
		bw.WriteString(qrLineStart)
		for x := -qrBorder; x < size+qrBorder; x++ {
			top, bottom := light(x, y), light(x, y+1)
			switch {
			case top && bottom:
				bw.WriteString("█")
			case top:
				bw.WriteString("▀")
			case bottom:
				bw.WriteString("▄")
			default:
				bw.WriteString(" ")
			}
		}
		bw.WriteString(qrLineEnd + "\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("failed to print the QR code: %w", err)
	}
	return nil
}

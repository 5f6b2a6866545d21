package konsole

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/konui/konui/backend/konsole/worktree"
)

// writeDiff answers {"path","diff","truncated"} with the diff streamed
// from git into the response as it comes: Konsole holds a few kilobytes
// of it at a time, never the whole diff, so three diffs of 100 MB files
// at once do not grow its memory. The diff is cut at limit bytes (at a
// character's start) and "truncated" says so. A failure of git after the
// answer began can only end the diff early; it is then marked truncated.
func writeDiff(w http.ResponseWriter, path string, d *worktree.DiffReader, limit int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	p, _ := json.Marshal(path)
	bw.WriteString(`{"path":`)
	bw.Write(p)
	bw.WriteString(`,"diff":"`)
	truncated, rerr := copyJSONString(bw, bufio.NewReaderSize(d, 32<<10), limit)
	cerr := d.Close(truncated)
	if rerr != nil || cerr != nil {
		truncated = true
	}
	if truncated {
		bw.WriteString(`","truncated":true}` + "\n")
	} else {
		bw.WriteString(`","truncated":false}` + "\n")
	}
	_ = bw.Flush() // the answer has begun: a failure is the client gone, with no one left to tell
}

const hexDigits = "0123456789abcdef"

// copyJSONString writes the text read from r as the inside of a JSON
// string (escaped as encoding/json would; bytes that are not UTF-8 become
// U+FFFD) and stops before limit bytes of text have been read: truncated
// says there was more.
func copyJSONString(w *bufio.Writer, r *bufio.Reader, limit int64) (truncated bool, err error) {
	var n int64
	for {
		c, size, err := r.ReadRune()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return true, err
		}
		if n+int64(size) > limit {
			return true, nil
		}
		n += int64(size)
		switch {
		case c == '"' || c == '\\':
			w.WriteByte('\\')
			w.WriteByte(byte(c))
		case c == '\n':
			w.WriteString(`\n`)
		case c == '\r':
			w.WriteString(`\r`)
		case c == '\t':
			w.WriteString(`\t`)
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			w.WriteString(`\u00`)
			w.WriteByte(hexDigits[c>>4])
			w.WriteByte(hexDigits[c&0xf])
		case c == '\u2028' || c == '\u2029':
			w.WriteString(`\u202`)
			w.WriteByte(hexDigits[c&0xf])
		case c == utf8.RuneError && size == 1:
			w.WriteString(`\ufffd`)
		default:
			w.WriteRune(c)
		}
	}
}

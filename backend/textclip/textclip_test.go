package textclip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHeadAndTailCountCharactersAndNeverSplitOne(t *testing.T) {
	for _, c := range []struct {
		in         string
		n          int
		head, tail string
	}{
		{"hello", 10, "hello", "hello"},
		{"hello", 5, "hello", "hello"},
		{"hello", 3, "hel…", "…llo"},
		{"héllo wörld", 4, "héll…", "…örld"},
		{"日本語のテキスト", 3, "日本語…", "…キスト"},
		{"a😀b😀c", 2, "a😀…", "…😀c"},
		{"😀", 0, "…", "…"},
		{"", 3, "", ""},
		{"ab\xffcd", 3, "ab\uFFFD…", "…\uFFFDcd"},
	} {
		if got := Head(c.in, c.n); got != c.head {
			t.Errorf("Head(%q, %d) = %q, want %q", c.in, c.n, got, c.head)
		}
		if got := Tail(c.in, c.n); got != c.tail {
			t.Errorf("Tail(%q, %d) = %q, want %q", c.in, c.n, got, c.tail)
		}
	}
}

func TestEveryCutOfMultiByteTextIsValidUTF8(t *testing.T) {
	s := strings.Repeat("é日😀x", 50)
	for n := 0; n <= utf8.RuneCountInString(s)+1; n++ {
		for _, got := range []string{Head(s, n), Tail(s, n)} {
			if !utf8.ValidString(got) {
				t.Fatalf("cut at %d runes is not valid UTF-8: %q", n, got)
			}
			if c := utf8.RuneCountInString(strings.ReplaceAll(got, Ellipsis, "")); c != min(n, 200) {
				t.Fatalf("cut at %d runes kept %d", n, c)
			}
		}
	}
}

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

func TestFitKeepsTheEllipsisWithinTheLimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"a😀b😀c", 3, "a😀…"},
		{"日本語", 3, "日本語"},
		{"日本語の", 3, "日本…"},
		{"ab", 1, "…"},
		{"ab", 0, ""},
		{"", 0, ""},
		{"ab\xffcd", 4, "ab\uFFFD…"},
	} {
		if got := Fit(c.in, c.n); got != c.want {
			t.Errorf("Fit(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestBytesStaysWithinTheBudgetAndNeverSplitsACharacter(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 3, "hel"},
		{"héllo", 2, "h"}, // é is two bytes: both or neither
		{"héllo", 3, "hé"},
		{"a😀b", 4, "a"},
		{"a😀b", 5, "a😀"},
		{"😀", 0, ""},
		{"ab", -1, ""},
	} {
		if got := Bytes(c.in, c.n); got != c.want {
			t.Errorf("Bytes(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
	s := strings.Repeat("é日😀x", 50)
	for n := 0; n <= len(s)+1; n++ {
		got := Bytes(s, n)
		if len(got) > n || !utf8.ValidString(got) || !strings.HasPrefix(s, got) {
			t.Fatalf("Bytes(s, %d) = %d bytes, valid %v", n, len(got), utf8.ValidString(got))
		}
		if n < len(s) && len(got) < n-3 {
			t.Fatalf("Bytes(s, %d) kept only %d bytes", n, len(got))
		}
	}
}

// Package textclip shortens text for people to read (notification bodies,
// log excerpts, values quoted in errors, titles) or to fit a budget in
// bytes (an event's size) without splitting a UTF-8 character: a cut
// string is always valid UTF-8, which D-Bus and JSON consumers require.
// It is the one place of the tree that cuts text.
//
// Limits that say "characters" count runes too: use
// utf8.RuneCountInString for those, as Head and Fit do.
package textclip

import (
	"strings"
	"unicode/utf8"
)

// Ellipsis marks where text was cut.
const Ellipsis = "…"

// Head returns the first n runes of s, followed by Ellipsis when s was
// longer. Invalid UTF-8 in s becomes U+FFFD, so the result is always valid.
func Head(s string, n int) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	if n < 0 {
		n = 0
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	if i == len(s) {
		return s
	}
	return s[:i] + Ellipsis
}

// Tail returns the last n runes of s, preceded by Ellipsis when s was
// longer (the end of a log is the part worth keeping). Invalid UTF-8 in s
// becomes U+FFFD.
func Tail(s string, n int) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	if n < 0 {
		n = 0
	}
	i, count := len(s), 0
	for i > 0 && count < n {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
		count++
	}
	if i == 0 {
		return s
	}
	return Ellipsis + s[i:]
}

// Fit returns s when it has at most n runes, else its first n-1 runes and
// Ellipsis: n runes in all, for a field whose length is limited (a title
// of at most 200 characters). Invalid UTF-8 in s becomes U+FFFD.
func Fit(s string, n int) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	return Head(s, n-1)
}

// Bytes returns the longest start of s that is at most n bytes long and
// ends at a character boundary, without an ellipsis: for a budget in bytes
// (an event's size) where the caller says itself that s was cut. Invalid
// UTF-8 in s becomes U+FFFD first, so the result is always valid.
func Bytes(s string, n int) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	if n < 0 {
		n = 0
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

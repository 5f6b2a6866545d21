package auth

import (
	"net/http/httptest"
	"testing"
)

func TestEqualMatchesOnlyTheSameNonEmptyToken(t *testing.T) {
	cases := []struct {
		got, want string
		ok        bool
	}{
		{"abc", "abc", true}, {"abd", "abc", false}, {"ab", "abc", false}, {"abcd", "abc", false},
		{"", "", false}, {"", "abc", false},
	}
	for _, c := range cases {
		if Equal(c.got, c.want) != c.ok {
			t.Errorf("Equal(%q, %q) = %v", c.got, c.want, !c.ok)
		}
	}
}

func TestFromRequestPrefersTheBearerHeader(t *testing.T) {
	r := httptest.NewRequest("GET", "/x?token=q", nil)
	if FromRequest(r) != "q" {
		t.Fatal("query token not read")
	}
	r.Header.Set("Authorization", "Bearer h")
	if FromRequest(r) != "h" {
		t.Fatal("header token not preferred")
	}
	r.Header.Set("Authorization", "Basic h")
	if FromRequest(r) != "" {
		t.Fatal("a non-Bearer header must not pass")
	}
}

func TestNewTokenIsLongAndRandom(t *testing.T) {
	a, b := NewToken(), NewToken()
	if len(a) != 64 || a == b {
		t.Fatalf("tokens %q %q", a, b)
	}
}

package pairing

import (
	"strings"
	"testing"
)

const fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestAPairingStringRoundTrips(t *testing.T) {
	p := Pairing{URL: "https://[fd00::5]:7421", Token: "tok+en/=&x", Fingerprint: fp}
	s := p.String()
	if !strings.HasPrefix(s, "konui://pair?v=1&url=https%3A%2F%2F%5Bfd00%3A%3A5%5D%3A7421&token=") || !strings.HasSuffix(s, "&sha256="+fp) {
		t.Fatalf("String() = %q", s)
	}
	got, err := Parse("  \n" + s + "\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if got != p {
		t.Fatalf("Parse(String()) = %+v, want %+v", got, p)
	}
	upper, err := Parse(strings.Replace(s, fp, strings.ToUpper(fp), 1))
	if err != nil || upper.Fingerprint != fp {
		t.Fatalf("an upper-case fingerprint: %+v %v", upper, err)
	}
}

func TestJunkIsRefusedWithASentenceForEachFault(t *testing.T) {
	good := Pairing{URL: "https://dev.example:7421", Token: "secret-token", Fingerprint: fp}.String()
	for _, c := range []struct{ in, want string }{
		{"", "is empty"},
		{"   ", "is empty"},
		{"https://dev.example:7421", "not a pairing string"},
		{"konui://other?v=1", "not a pairing string"},
		{"konui://pair/x?v=1", "not a pairing string"},
		{"konui://pair?%zz", "damaged"},
		{strings.Replace(good, "v=1&", "", 1), "no version"},
		{strings.Replace(good, "v=1", "v=2", 1), "version \"2\""},
		{"konui://pair?v=1&token=t&sha256=" + fp, "no Konsole URL"},
		{strings.Replace(good, "https%3A", "http%3A", 1), "not an https address"},
		{strings.Replace(good, "https%3A%2F%2Fdev.example%3A7421", "https%3A%2F%2F", 1), "not an https address"},
		{strings.Replace(good, "token=secret-token", "token=", 1), "no token"},
		{strings.Replace(good, "token=secret-token", "token=a%20b", 1), "spaces"},
		{strings.Replace(good, "&sha256="+fp, "", 1), "no certificate fingerprint"},
		{strings.Replace(good, fp, fp[:63], 1), "not 64 hex digits"},
		{strings.Replace(good, fp, fp[:63]+"g", 1), "not 64 hex digits"},
		{good[:len(good)-10], "not 64 hex digits"},
	} {
		_, err := Parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", c.in, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "secret-token") {
			t.Errorf("Parse(%q): the error repeats the token: %v", c.in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Pairing{URL: "https://h:1", Token: "t", Fingerprint: fp}.String())
	f.Add("konui://pair?v=1&url=%")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(p.String())
		if err != nil || again != p {
			t.Fatalf("Parse(%q) = %+v, and its String() parses to %+v, %v", s, p, again, err)
		}
	})
}

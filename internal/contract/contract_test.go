package contract

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGoStringsReadsTheConstantsOfAPrefix(t *testing.T) {
	p := write(t, "x.go", "package x\n\nconst (\n\tEvA = \"a\"\n\tEvB = `b`\n\tOther = \"o\"\n)\n\nconst EvC, EvD = \"c\", \"d\"\n")
	got, err := GoStrings(p, "Ev")
	if want := map[string]string{"EvA": "a", "EvB": "b", "EvC": "c", "EvD": "d"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("GoStrings = %v, %v; want %v", got, err, want)
	}
	p = write(t, "y.go", "package y\n\nconst EvN = 1 + 2\n")
	if _, err := GoStrings(p, "Ev"); err == nil || !strings.Contains(err.Error(), "EvN is not a string literal") {
		t.Fatalf("a computed constant: %v", err)
	}
}

func TestTSObjectReadsEachEntryOrSaysWhichLineItCannot(t *testing.T) {
	p := write(t, "x.ts", "export const names = {\n  /** the first */\n  first: 'a:one',\n\n  // the second\n  second: 'b',\n} as const;\n")
	got, err := TSObject(p, "names")
	if want := map[string]string{"first": "a:one", "second": "b"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("TSObject = %v, %v; want %v", got, err, want)
	}
	p = write(t, "y.ts", "export const names = {\n  first: \"a\",\n} as const;\n")
	if _, err := TSObject(p, "names"); err == nil || !strings.Contains(err.Error(), `cannot read "first: \"a\","`) {
		t.Fatalf("an entry in double quotes: %v", err)
	}
	if _, err := TSObject(p, "others"); err == nil || !strings.Contains(err.Error(), "has no `export const others") {
		t.Fatalf("a missing object: %v", err)
	}
}

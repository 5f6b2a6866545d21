package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAGeneratedTokenIsStoredWithMode0600AndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "konui", "konsole-token")
	tok, created, err := LoadOrCreateToken(path)
	if err != nil || !created || len(tok) != 64 {
		t.Fatalf("token %q created %v err %v", tok, created, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(path))
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("token folder mode %v", di.Mode().Perm())
	}
	again, created, _ := LoadOrCreateToken(path)
	if again != tok || created {
		t.Fatal("the stored token was not reused")
	}
}

// A token or a pairing string given where the path of a file holding it
// was asked for is refused without being repeated; a real path is named.
func TestASecretGivenInPlaceOfItsFileIsNotRepeated(t *testing.T) {
	for _, given := range []string{
		"259d23c1f0e54b7a9c2d8e6f1a3b5c7d",
		"konui://pair?v=1&url=https%3A%2F%2Fbox%3A7421&token=259d23c1f0e54b7a&sha256=ab",
		"https://box:7421#token=259d23c1f0e54b7a",
	} {
		_, err := ReadSecretFile(given, "pairing file", "pairing string")
		if err == nil || strings.Contains(err.Error(), "259d23c1") || !strings.Contains(err.Error(), "looks like the pairing string itself") {
			t.Errorf("ReadSecretFile(%q) = %v", given, err)
		}
	}
	missing := filepath.Join(t.TempDir(), "konsole.token")
	if _, err := ReadTokenFile(missing); err == nil || err.Error() != "failed to read the token file "+missing+": no such file or directory" {
		t.Errorf("a missing file: %v", err)
	}
}

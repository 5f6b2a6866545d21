package atomicfile

import (
	"os"
	"strings"
	"testing"
)

// The ACL Windows files get for 0600 is one allow entry for the user,
// protected from the folder's inherited entries.
func TestAnOwnerOnlyFileGetsAProtectedDACLNamingOnlyItsUser(t *testing.T) {
	const sid = "S-1-5-21-3623811015-3361044348-30300820-1013"
	got, err := OwnerOnlySDDL(sid)
	if err != nil {
		t.Fatal(err)
	}
	if got != "D:P(A;;FA;;;"+sid+")" {
		t.Fatalf("SDDL %q", got)
	}
	if strings.Count(got, "(") != 1 {
		t.Fatalf("more than one access entry: %q", got)
	}
}

// A SID string that closes the entry and opens another (Everyone, WD)
// must not become part of the descriptor.
func TestAnythingButASIDIsRefusedInTheOwnerOnlyDACL(t *testing.T) {
	for _, bad := range []string{"", "WD", "S-1-5-21-1)(A;;FA;;;WD", "S-1-5-21-1;x", "BA", "S-1-1-0 "} {
		if sddl, err := OwnerOnlySDDL(bad); err == nil {
			t.Errorf("OwnerOnlySDDL(%q) = %q, want an error", bad, sddl)
		}
	}
}

func TestOnlyModesWithoutGroupOrOtherBitsAreOwnerOnly(t *testing.T) {
	for perm, want := range map[os.FileMode]bool{0o600: true, 0o400: true, 0o700: true, 0o640: false, 0o644: false, 0o604: false} {
		if ownerOnly(perm) != want {
			t.Errorf("ownerOnly(%v) = %v", perm, !want)
		}
	}
}

package atomicfile

import (
	"fmt"
	"os"
	"strings"
)

// ownerOnly tells whether perm keeps a file to its owner (no group or other
// bits, as 0600): on Windows such a file gets an ACL that says the same.
func ownerOnly(perm os.FileMode) bool { return perm.Perm()&0o077 == 0 }

// OwnerOnlySDDL is the security descriptor, in SDDL, that Windows gives a
// file written owner-only: a protected DACL (P: nothing inherited from the
// folder, where Users may read) with one entry allowing the user of sid
// full access (FA). No one else is named, so no one else is allowed; an
// administrator can still take ownership, as root can read a 0600 file.
func OwnerOnlySDDL(sid string) (string, error) {
	// A SID string is S-1-<authority>-<sub>...: anything else would make a
	// descriptor that fails to parse or names someone unintended.
	if !strings.HasPrefix(sid, "S-1-") || strings.ContainsAny(sid, "();: \t\n") {
		return "", fmt.Errorf("failed to build an owner-only ACL: %q is not a SID", sid)
	}
	return "D:P(A;;FA;;;" + sid + ")", nil
}

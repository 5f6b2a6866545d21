package atomicfile

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// restrictToOwner gives the file at path a DACL that lets only the
// current user in (OwnerOnlySDDL) when perm is owner-only: Windows ignores
// Unix modes beyond the read-only bit, and a file inherits its folder's
// ACL, which may let every user read it. The rename keeps the DACL.
func restrictToOwner(path string, perm os.FileMode) error {
	if !ownerOnly(perm) {
		return nil
	}
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return fmt.Errorf("failed to read the current user: %w", err)
	}
	sddl, err := OwnerOnlySDDL(u.User.Sid.String())
	if err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return fmt.Errorf("failed to build an owner-only ACL: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("failed to build an owner-only ACL: %w", err)
	}
	// SetNamedSecurityInfo opens the file itself with WRITE_DAC, which the
	// owner always has; the handle os.CreateTemp holds lacks it.
	if err := windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("failed to make %s owner-only: %w", path, err)
	}
	return nil
}

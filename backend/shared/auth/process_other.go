//go:build !linux

package auth

// ProtectProcess does nothing outside Linux: macOS and Windows keep another
// process's memory and environment from a process of the same user only
// with OS features konui does not use (see SECURITY.md).
func ProtectProcess() error { return nil }

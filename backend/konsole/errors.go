package konsole

import "github.com/konui/konui/backend/shared/apierror"

// errorf is apierror.New: the HTTP layer's own errors.
func errorf(status int, code, format string, args ...any) *apierror.Error {
	return apierror.New(status, code, format, args...)
}

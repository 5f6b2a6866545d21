package konsole

import (
	"errors"
	"net/http"
	"syscall"

	"github.com/konui/konui/backend/shared/apierror"
)

// CodeStorage is the code of the 503 given while Konsole cannot write its
// data folder (a full disk, say).
const CodeStorage = "storage_unavailable"

func (s *Server) storageError(err error) *apierror.Error {
	return errorf(http.StatusServiceUnavailable, CodeStorage,
		"Konsole cannot write to its data folder %s (%v); free some space there (or fix its permissions) and try again", s.cfg.DataDir, err)
}

// refuseWhileStorageFails answers 503 storage_unavailable, and returns
// true, while the event log cannot be written: work started now could not
// be recorded.
func (s *Server) refuseWhileStorageFails(w http.ResponseWriter) bool {
	err := s.log.Failing()
	if err == nil {
		return false
	}
	writeError(w, s.storageError(err))
	return true
}

// asStorageError turns a write error of the store into the same 503 when
// the disk is full or the folder cannot be written; other errors pass.
func (s *Server) asStorageError(err error) error {
	var e *apierror.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	if isStorageFailure(err) {
		return s.storageError(err)
	}
	return err
}

// isStorageFailure tells a full disk or an unwritable folder: SQLite's
// FULL, IOERR, READONLY and CANTOPEN results (primary codes), or the
// system's ENOSPC, EROFS, EACCES and EDQUOT.
func isStorageFailure(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 8, 10, 13, 14: // SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN
			return true
		}
	}
	for _, e := range []error{syscall.ENOSPC, syscall.EROFS, syscall.EACCES, syscall.EDQUOT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

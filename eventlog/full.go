package eventlog

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrFull is in the chain of an error when the filesystem holding the
// database or its WAL had no room for what SQLite had to write
// (SQLITE_FULL). A write refused with it left nothing behind; once space
// returns, the same write succeeds.
var ErrFull = errors.New("filesystem full")

// IsFull reports whether err, from this package or straight from SQLite
// on any connection to the file, failed because the disk was full.
func IsFull(err error) bool { return errors.Is(classify(err), ErrFull) }

// classify marks an error from SQLite with ErrFull when the disk was full,
// so callers can tell it from a bug. Its text stays the same.
func classify(err error) error {
	var se *sqlite.Error
	if err == nil || errors.Is(err, ErrFull) || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_FULL {
		return err
	}
	return fullError{err}
}

// fullError is an error from SQLite that ErrFull explains.
type fullError struct{ err error }

func (e fullError) Error() string   { return e.err.Error() }
func (e fullError) Unwrap() []error { return []error{ErrFull, e.err} }

package spec

import (
	"fmt"

	"github.com/onggi/onggi/errdefs"
)

// invalidError carries docker's exact wording (which users and scripts
// match) while still answering errors.Is(err, errdefs.ErrInvalid); wrapping
// with %w would append the class name to the message.
type invalidError struct {
	msg   string
	cause error // optional underlying error, also reachable by errors.Is/As
}

func (e *invalidError) Error() string { return e.msg }

func (e *invalidError) Unwrap() []error {
	if e.cause == nil {
		return []error{errdefs.ErrInvalid}
	}
	return []error{errdefs.ErrInvalid, e.cause}
}

// invalidf is an ErrInvalid with docker's message.
func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// invalidWrap is an ErrInvalid whose message is prefix + ": " + err's,
// keeping err reachable for errors.Is (os.ErrNotExist, ...).
func invalidWrap(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if err != nil {
		msg += ": " + err.Error()
	}
	return &invalidError{msg: msg, cause: err}
}

package fault

import (
	"context"
	"errors"

	"gocloud.dev/gcerrors"
)

// Storage classifies an error of a bucket (gocloud.dev/blob) operation: nil
// stays nil; context cancellation and deadlines pass through unchanged, so
// that callers can tell a cancelled request from a failed one; an object
// that does not exist is [NotFound]; anything else is [Transient]. The
// message, formatted as with fmt.Sprintf, says what was being done.
//
// A caller for whom a missing object means something else (a result the
// task needs is gone for good) re-wraps the NotFound with its own kind.
func Storage(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if gcerrors.Code(err) == gcerrors.NotFound {
		return Wrap(NotFound, err, format, args...)
	}
	return Wrap(Transient, err, format, args...)
}

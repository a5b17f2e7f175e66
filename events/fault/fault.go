// Package fault gives errors a kind, and the kind decides what happens next:
// whether a task is retried, dead-lettered at once, or which HTTP status a
// caller sees. It is the one error vocabulary of both layers: the functions
// return these kinds, the platform acts on them, and task.failed events carry
// them by name, which is why it lives beside the events and belongs to
// neither layer.
//
// Three decisions are made here and nowhere else: the HTTP status of each
// kind ([HTTPStatus], with the one exception push delivery needs,
// [PushStatus]), how a storage error is classified ([Storage]), and how a
// panic becomes an error ([Catch]).
//
// Errors carry two texts. The message given to [New] or [Wrap] is the public
// text, safe to show to the person who sent the picture; [Message] returns it.
// The wrapped cause (a libvips message, a storage error) stays in the chain for
// errors.Is and errors.As and for logs: Error() returns "message: cause".
//
// An error that carries no kind is treated as [Transient]: a failure nobody
// classified may be infrastructure, and retrying it costs less than losing a
// task that would have succeeded. context.Canceled and
// context.DeadlineExceeded are never wrapped by the packages that use fault;
// they pass through unchanged and count as [Transient] too, whatever wraps them.
package fault

import (
	"context"
	"errors"
	"fmt"
)

// Kind is the small fixed set of failure classes callers act on. Callers
// switch on the kind, never on message text.
type Kind string

// The kinds. Their string values are stable: they appear in events and logs.
const (
	// Permanent: the same request will fail the same way every time (a
	// broken picture, an op the picture cannot take). Not retried.
	Permanent Kind = "permanent"
	// Transient: the request may succeed later (storage or broker
	// unreachable, out of memory). The only retried kind.
	Transient Kind = "transient"
	// LimitExceeded: the request is over a limit that protects the fleet
	// (upload size, pixel count, frames). Not retried.
	LimitExceeded Kind = "limit_exceeded"
	// NotFound: the object does not exist, or belongs to someone else and is
	// answered as if it did not exist.
	NotFound Kind = "not_found"
	// InvalidArgument: the request itself is malformed (unknown op, value out
	// of range). Not retried.
	InvalidArgument Kind = "invalid_argument"
)

// Error is an error with a kind and a public message. Use [New] and [Wrap]
// rather than building one by hand; use errors.As to reach it.
type Error struct {
	Kind Kind
	// Msg is the public text.
	Msg string
	// Err is the cause, or nil.
	Err error
}

// Error returns the public message followed by the cause, for logs.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of the given kind whose message, formatted as with
// fmt.Sprintf, is the public text.
func New(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of the given kind with a public message that keeps
// err as its cause. Like most wrapping helpers it returns nil for a nil err,
// so `return fault.Wrap(...)` after a call that succeeded stays a success.
func Wrap(kind Kind, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err}
}

// KindOf returns the kind of the outermost *Error in err's chain. Context
// cancellation and deadlines are Transient wherever they sit in the chain, so
// that a cancelled attempt is never dead-lettered as if the picture were bad.
// An error without a kind is Transient. KindOf(nil) is "".
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Transient
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Transient
}

// Retryable reports whether the failed request is worth trying again: only
// Transient errors are.
func Retryable(err error) bool {
	return err != nil && KindOf(err) == Transient
}

// Message returns the text that may be shown to a user: the public message of
// the outermost *Error in the chain. Errors without one get a generic text, so
// that internal details (paths, hosts, library messages) never leak; nil gives "".
func Message(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "the work was interrupted before it finished"
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return "a temporary failure occurred"
}

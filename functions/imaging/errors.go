package imaging

import (
	"errors"
	"strings"

	"github.com/pixmill/pixmill/events/fault"
)

// unreadable is the error for a file that is not a picture this package can
// read: always Permanent, since the same bytes fail the same way next time.
// The public message lists the formats that are read, so the sender knows
// what to send instead; reason, if any, says what was wrong.
func unreadable(cause error, reason string) error {
	msg := "the file is not a readable image (" + readableNames() + ")"
	if reason != "" {
		msg += ": " + reason
	}
	if cause == nil {
		return fault.New(fault.Permanent, "%s", msg)
	}
	return fault.Wrap(fault.Permanent, cause, "%s", msg)
}

func readableNames() string {
	if st := lib.Load(); st != nil {
		return formatNames(st.readable)
	}
	return formatNames(formats)
}

// vipsCause keeps libvips' own message as a cause, without the Go stack
// trace govips appends to it.
func vipsCause(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\nStack:")
	return errors.New(strings.TrimSpace(msg))
}

// outOfMemory tells the one libvips failure worth retrying: the same picture
// may fit on a less busy worker.
func outOfMemory(cause error) bool {
	return strings.Contains(strings.ToLower(cause.Error()), "out of memory")
}

// opError classifies a failure inside an op. Errors that already have a kind
// (a crop outside the picture) pass unchanged; libvips failures are Permanent,
// since libvips fails the same way on the same pixels, unless memory ran out.
func opError(op Op, err error) error {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return err
	}
	cause := vipsCause(err)
	if outOfMemory(cause) {
		return fault.Wrap(fault.Transient, cause, "%s: not enough memory for this picture now", op.Name())
	}
	return fault.Wrap(fault.Permanent, cause, "%s: this picture could not be processed", op.Name())
}

// exportError classifies a failure while saving. libvips decodes lazily, as
// the saver pulls pixels, so a damaged file usually fails here rather than at
// load; only messages from a saver are blamed on the output format.
func exportError(f format, err error) error {
	cause := vipsCause(err)
	msg := strings.ToLower(cause.Error())
	switch {
	case outOfMemory(cause):
		return fault.Wrap(fault.Transient, cause, "not enough memory to finish this picture now")
	case strings.Contains(msg, "save") || strings.Contains(msg, "vips2"):
		return fault.Wrap(fault.Permanent, cause, "the picture could not be saved as %s", f.Name)
	default:
		return unreadable(cause, "its picture data is damaged")
	}
}

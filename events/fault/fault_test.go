package fault_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"testing"

	"github.com/pixmill/pixmill/events/fault"
)

func TestKinds(t *testing.T) {
	cause := fs.ErrNotExist
	tests := []struct {
		name      string
		err       error
		kind      fault.Kind
		retryable bool
		status    int
		message   string
	}{
		{"nil", nil, "", false, http.StatusOK, ""},
		{"permanent", fault.New(fault.Permanent, "the file is not a readable image"), fault.Permanent, false, http.StatusUnprocessableEntity, "the file is not a readable image"},
		{"transient", fault.New(fault.Transient, "bucket unreachable"), fault.Transient, true, http.StatusServiceUnavailable, "bucket unreachable"},
		{"limit", fault.New(fault.LimitExceeded, "%d megapixels is over the %d limit", 400, 100), fault.LimitExceeded, false, http.StatusRequestEntityTooLarge, "400 megapixels is over the 100 limit"},
		{"not found", fault.Wrap(fault.NotFound, cause, "no such picture"), fault.NotFound, false, http.StatusNotFound, "no such picture"},
		{"invalid", fault.New(fault.InvalidArgument, "thumbnail: width must be between 1 and 10000, got 0"), fault.InvalidArgument, false, http.StatusBadRequest, "thumbnail: width must be between 1 and 10000, got 0"},
		{"no kind is transient", errors.New("connection reset"), fault.Transient, true, http.StatusServiceUnavailable, "a temporary failure occurred"},
		{"kind survives fmt wrapping", fmt.Errorf("edit: %w", fault.New(fault.Permanent, "bad")), fault.Permanent, false, http.StatusUnprocessableEntity, "bad"},
		{"outermost kind wins", fault.Wrap(fault.Permanent, fault.New(fault.InvalidArgument, "inner"), "outer"), fault.Permanent, false, http.StatusUnprocessableEntity, "outer"},
		{"canceled", context.Canceled, fault.Transient, true, http.StatusServiceUnavailable, "the work was interrupted before it finished"},
		{"deadline", fmt.Errorf("process: %w", context.DeadlineExceeded), fault.Transient, true, http.StatusServiceUnavailable, "the work was interrupted before it finished"},
		// A deadline is never a reason to dead-letter, even when someone wrapped it as permanent.
		{"deadline under a kind", fault.Wrap(fault.Permanent, context.DeadlineExceeded, "too slow"), fault.Transient, true, http.StatusServiceUnavailable, "the work was interrupted before it finished"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fault.KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf = %q, want %q", got, tt.kind)
			}
			if got := fault.Retryable(tt.err); got != tt.retryable {
				t.Errorf("Retryable = %v, want %v", got, tt.retryable)
			}
			if got := fault.HTTPStatus(tt.err); got != tt.status {
				t.Errorf("HTTPStatus = %d, want %d", got, tt.status)
			}
			if got := fault.Message(tt.err); got != tt.message {
				t.Errorf("Message = %q, want %q", got, tt.message)
			}
		})
	}
}

func TestWrapKeepsCause(t *testing.T) {
	err := fault.Wrap(fault.Permanent, fs.ErrNotExist, "the picture %q is gone", "a.jpg")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false, want true", err)
	}
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.Permanent {
		t.Fatalf("errors.As gave %+v, want a permanent *fault.Error", fe)
	}
	if got, want := err.Error(), `the picture "a.jpg" is gone: file does not exist`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := fault.Message(err), `the picture "a.jpg" is gone`; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
}

func TestWrapNil(t *testing.T) {
	if err := fault.Wrap(fault.Permanent, nil, "unused"); err != nil {
		t.Errorf("Wrap(nil) = %v, want nil", err)
	}
}

package jetstream

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/gcerrors"
)

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		code  gcerrors.ErrorCode
		retry bool
	}{
		{"no stream for subject", natsjs.ErrNoStreamResponse, gcerrors.NotFound, false},
		{"stream not found", natsjs.ErrStreamNotFound, gcerrors.NotFound, false},
		{"consumer not found, wrapped", fmt.Errorf("lookup: %w", natsjs.ErrConsumerNotFound), gcerrors.NotFound, false},
		{"api 404", &natsjs.APIError{Code: 404, ErrorCode: 10999}, gcerrors.NotFound, false},
		{"nats timeout", nats.ErrTimeout, gcerrors.DeadlineExceeded, true},
		{"driver timeout", noReply(context.Background(), "ack", context.DeadlineExceeded), gcerrors.DeadlineExceeded, true},
		{"caller deadline", context.DeadlineExceeded, gcerrors.DeadlineExceeded, false},
		{"caller cancel", context.Canceled, gcerrors.Canceled, false},
		{"reconnecting", nats.ErrConnectionReconnecting, gcerrors.Unknown, true},
		{"no responders", nats.ErrNoResponders, gcerrors.Unknown, true},
		{"server shutdown", natsjs.ErrServerShutdown, gcerrors.Unknown, true},
		{"api 503", &natsjs.APIError{Code: 503, ErrorCode: 10008}, gcerrors.Unknown, true},
		{"connection closed", nats.ErrConnectionClosed, gcerrors.FailedPrecondition, false},
		{"jetstream connection closed", natsjs.ErrConnectionClosed, gcerrors.FailedPrecondition, false},
		{"draining", nats.ErrConnectionDraining, gcerrors.FailedPrecondition, false},
		{"stream full", &natsjs.APIError{Code: 503, ErrorCode: errStoreFailed, Description: "maximum messages exceeded"}, gcerrors.ResourceExhausted, false},
		{"too large", nats.ErrMaxPayload, gcerrors.InvalidArgument, false},
		{"empty key", errEmptyKey, gcerrors.InvalidArgument, false},
		{"permissions", nats.ErrPermissionViolation, gcerrors.PermissionDenied, false},
		{"unknown", errors.New("boom"), gcerrors.Unknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorCode(tt.err); got != tt.code {
				t.Errorf("errorCode(%v) = %v, want %v", tt.err, got, tt.code)
			}
			if got := isRetryable(tt.err); got != tt.retry {
				t.Errorf("isRetryable(%v) = %t, want %t", tt.err, got, tt.retry)
			}
		})
	}
}

func TestNoReplyKeepsCallerContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := fmt.Errorf("wrapped: %w", context.DeadlineExceeded)
	if got := noReply(ctx, "ack", err); got != err {
		t.Errorf("noReply with a done context = %v, want the error unchanged", got)
	}
	if got := noReply(context.Background(), "ack", nil); got != nil {
		t.Errorf("noReply(nil) = %v", got)
	}
}

func TestErrorAs(t *testing.T) {
	err := fmt.Errorf("publish: %w", natsjs.ErrStreamNotFound)
	var apiErr *natsjs.APIError
	if !errorAs(err, &apiErr) || apiErr.Code != 404 {
		t.Errorf("errorAs(**APIError) = %v, want the 404 API error", apiErr)
	}
	var jsErr natsjs.JetStreamError
	if !errorAs(err, &jsErr) {
		t.Error("errorAs(*JetStreamError) failed")
	}
	for _, bad := range []any{nil, apiErr, new(int), (*error)(nil)} {
		if errorAs(err, bad) {
			t.Errorf("errorAs(%T) = true, want false", bad)
		}
	}
}

package fault_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"

	"github.com/pixmill/pixmill/events/fault"
)

func TestStatusTable(t *testing.T) {
	seen := map[fault.Kind]bool{}
	for _, s := range fault.Statuses() {
		if seen[s.Kind] {
			t.Errorf("kind %q has two rows", s.Kind)
		}
		seen[s.Kind] = true
		if s.Meaning == "" {
			t.Errorf("kind %q: no meaning for the docs", s.Kind)
		}
		// Push senders retry 404, 408, 409 and 429 like a 5xx: a kind
		// that must not be retried may not answer one of them.
		retried := s.Push >= 500 || s.Push == 404 || s.Push == 408 || s.Push == 409 || s.Push == 429
		if retried != (s.Kind == fault.Transient) {
			t.Errorf("kind %q answers push %d: retried=%v, want %v", s.Kind, s.Push, retried, s.Kind == fault.Transient)
		}
	}
	for _, k := range []fault.Kind{fault.Permanent, fault.Transient, fault.LimitExceeded, fault.NotFound, fault.InvalidArgument} {
		if !seen[k] {
			t.Errorf("kind %q has no status", k)
		}
	}
}

func TestPushStatus(t *testing.T) {
	panicked := fault.Catch(func() error { panic("boom") }, nil)
	tests := []struct {
		err       error
		api, push int
	}{
		{nil, http.StatusOK, http.StatusOK},
		{fault.New(fault.InvalidArgument, "bad"), http.StatusBadRequest, http.StatusBadRequest},
		{fault.New(fault.LimitExceeded, "big"), http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge},
		{fault.New(fault.Permanent, "broken"), http.StatusUnprocessableEntity, http.StatusUnprocessableEntity},
		// The one exception: Knative retries a 404.
		{fault.New(fault.NotFound, "gone"), http.StatusNotFound, http.StatusUnprocessableEntity},
		{fault.New(fault.Transient, "down"), http.StatusServiceUnavailable, http.StatusServiceUnavailable},
		{errors.New("unclassified"), http.StatusServiceUnavailable, http.StatusServiceUnavailable},
		{context.DeadlineExceeded, http.StatusServiceUnavailable, http.StatusServiceUnavailable},
		{panicked, http.StatusInternalServerError, http.StatusInternalServerError},
		{fmt.Errorf("wrapped: %w", panicked), http.StatusInternalServerError, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := fault.HTTPStatus(tt.err); got != tt.api {
			t.Errorf("HTTPStatus(%v) = %d, want %d", tt.err, got, tt.api)
		}
		if got := fault.PushStatus(tt.err); got != tt.push {
			t.Errorf("PushStatus(%v) = %d, want %d", tt.err, got, tt.push)
		}
	}
}

func TestCatch(t *testing.T) {
	var logged any
	err := fault.Catch(func() error { panic("boom") }, func(v any, stack []byte) {
		logged = v
		if len(stack) == 0 {
			t.Error("no stack for the log")
		}
	})
	if logged != "boom" {
		t.Errorf("onPanic got %v, want boom", logged)
	}
	if !fault.Panicked(err) || !fault.Retryable(err) {
		t.Errorf("Catch = %v: Panicked %v, Retryable %v, want both", err, fault.Panicked(err), fault.Retryable(err))
	}
	if got, want := fault.Message(err), "the processor failed unexpectedly (boom)"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	sentinel := fault.New(fault.Permanent, "bad")
	if err := fault.Catch(func() error { return sentinel }, nil); err != sentinel || fault.Panicked(err) {
		t.Errorf("Catch without a panic = %v, want the function's own error", err)
	}
}

func TestStorage(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	_, missing := b.ReadAll(ctx, "nothing/here")
	if gcerrors.Code(missing) != gcerrors.NotFound {
		t.Fatalf("memblob's missing object: %v", missing)
	}
	tests := []struct {
		name string
		err  error
		kind fault.Kind
		same bool // passed through unchanged
	}{
		{"nil", nil, "", true},
		{"missing", missing, fault.NotFound, false},
		{"other", errors.New("connection refused"), fault.Transient, false},
		{"canceled", context.Canceled, fault.Transient, true},
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), fault.Transient, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fault.Storage(tt.err, "reading %s", "x")
			if fault.KindOf(got) != tt.kind {
				t.Errorf("kind %q, want %q", fault.KindOf(got), tt.kind)
			}
			if (got == tt.err) != tt.same {
				t.Errorf("Storage(%v) = %v; unchanged %v, want %v", tt.err, got, got == tt.err, tt.same)
			}
			if tt.err != nil && !errors.Is(got, tt.err) {
				t.Errorf("the cause is lost: %v", got)
			}
			if !tt.same && fault.Message(got) != "reading x" {
				t.Errorf("Message = %q, want %q", fault.Message(got), "reading x")
			}
		})
	}
}

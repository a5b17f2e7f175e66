package httpfunc

import (
	"context"
	"errors"
	"net/http"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/pixmill/pixmill/functions/fault"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, http.StatusOK},
		{fault.New(fault.InvalidArgument, "bad"), http.StatusBadRequest},
		{fault.New(fault.LimitExceeded, "big"), http.StatusRequestEntityTooLarge},
		{fault.New(fault.Permanent, "broken"), http.StatusUnprocessableEntity},
		// Never 404: Knative retries it.
		{fault.New(fault.NotFound, "gone"), http.StatusUnprocessableEntity},
		{fault.New(fault.Transient, "down"), http.StatusServiceUnavailable},
		{errors.New("unclassified"), http.StatusServiceUnavailable},
		{context.DeadlineExceeded, http.StatusServiceUnavailable},
		{panicked{"boom"}, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := Status(tt.err); got != tt.want {
			t.Errorf("Status(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// statusOf is what the Functions Framework answers for h's outcome.
func statusOf(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return http.StatusOK
	}
	var r *cehttp.Result
	if !errors.As(err, &r) {
		t.Fatalf("%v is not an HTTP result: the framework would answer 500", err)
	}
	return r.StatusCode
}

func TestHandler(t *testing.T) {
	e := cloudevents.NewEvent()
	e.SetID("1")
	e.SetSource("/test")
	e.SetType("dev.pixmill.test")
	opens := 0
	h := Handler(func(context.Context) (Func, error) {
		opens++
		if opens == 1 {
			return nil, errors.New("bucket unreachable")
		}
		return func(_ context.Context, e cloudevents.Event) error {
			switch e.Subject() {
			case "panic":
				panic("boom")
			case "bad":
				return fault.New(fault.InvalidArgument, "malformed")
			}
			return nil
		}, nil
	}, nil)
	ctx := context.Background()
	if got := statusOf(t, h(ctx, e)); got != http.StatusServiceUnavailable {
		t.Errorf("first open failed: status %d, want 503", got)
	}
	for _, tt := range []struct {
		subject string
		want    int
	}{{"", http.StatusOK}, {"bad", http.StatusBadRequest}, {"panic", http.StatusInternalServerError}} {
		e.SetSubject(tt.subject)
		if got := statusOf(t, h(ctx, e)); got != tt.want {
			t.Errorf("subject %q: status %d, want %d", tt.subject, got, tt.want)
		}
	}
	if opens != 2 {
		t.Errorf("opened %d times, want 2 (a failure is not kept, a success is)", opens)
	}
}

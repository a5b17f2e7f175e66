package httpfunc

import (
	"context"
	"errors"
	"net/http"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/pixmill/pixmill/events/fault"
)

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

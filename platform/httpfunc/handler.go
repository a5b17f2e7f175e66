package httpfunc

import (
	"context"
	"log/slog"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

// Func is a function of one event, as the functions in functions/ are.
type Func func(ctx context.Context, e cloudevents.Event) error

// Handler returns a CloudEvent function for the Functions Framework that
// runs the function open returns (opened on the first event that needs it,
// and kept), unwraps Pub/Sub deliveries, and answers with the status its
// outcome calls for (see the package documentation).
func Handler(open func(context.Context) (Func, error), log *slog.Logger) func(context.Context, cloudevents.Event) error {
	return handler(open, log, true)
}

// handler is Handler; with unwrapPush false, a Pub/Sub delivery reaches the
// function as it came, for a function that reads the Pub/Sub message itself
// (DeadLetter, which must keep what is not a pixmill event too).
func handler(open func(context.Context) (Func, error), log *slog.Logger, unwrapPush bool) func(context.Context, cloudevents.Event) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fn := &lazy[Func]{open: open}
	return func(ctx context.Context, e cloudevents.Event) error {
		attempt := 0
		if unwrapPush && e.Type() == TypePubSubPublished {
			inner, n, err := unwrap(e)
			if err != nil {
				log.Warn("rejecting an unreadable Pub/Sub delivery", "event", e.ID(), "err", err)
				return result(fault.Wrap(fault.InvalidArgument, err, "the Pub/Sub message does not carry a pixmill event"))
			}
			e, attempt = inner, n
		}
		if attempt > 0 {
			ctx = events.WithAttempt(ctx, attempt)
		}
		f, err := fn.get(ctx)
		if err != nil {
			log.Error("opening the function's bucket or topic failed", "err", err)
			return result(fault.Wrap(fault.Transient, err, "the function is not ready"))
		}
		err = call(ctx, f, e, log)
		if err != nil {
			log.Warn("event not done", "event", e.ID(), "type", e.Type(), "subject", e.Subject(), "kind", fault.KindOf(err), "err", err)
		}
		return result(err)
	}
}

// call runs f; a panic becomes an error that answers fault.PanicStatus.
func call(ctx context.Context, f Func, e cloudevents.Event, log *slog.Logger) error {
	return fault.Catch(func() error { return f(ctx, e) }, func(v any, stack []byte) {
		log.Error("function panicked", "panic", v, "event", e.ID(), "stack", string(stack))
	})
}

// result is err as the CloudEvents SDK's HTTP result, which sets the status.
// The body is the public message only: causes go to the log.
func result(err error) error {
	if err == nil {
		return nil
	}
	return cehttp.NewResult(fault.PushStatus(err), "%s", fault.Message(err))
}

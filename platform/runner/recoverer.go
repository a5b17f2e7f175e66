package runner

import (
	"context"
	"log/slog"

	"github.com/pixmill/pixmill/events/fault"
)

// Recover turns a panic in the handler into a transient error, so one bad
// event cannot take the process down with the other messages it holds. The
// message is retried; if it panics every time, the dead-letter wrapper parks
// it after the last attempt.
func Recover(log *slog.Logger) Middleware {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, d *Delivery) error {
			return fault.Catch(func() error { return next(ctx, d) }, func(v any, stack []byte) {
				log.Error("handler panicked", "panic", v, "subject", d.Event.Subject(), "stack", string(stack))
			})
		}
	}
}

package runner

import (
	"context"
	"log/slog"
	"runtime/debug"

	"github.com/pixmill/pixmill/functions/fault"
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
		return func(ctx context.Context, d *Delivery) (err error) {
			defer func() {
				if p := recover(); p != nil {
					log.Error("handler panicked", "panic", p, "subject", d.Event.Subject(), "stack", string(debug.Stack()))
					err = fault.New(fault.Transient, "the processor failed unexpectedly (%v)", p)
				}
			}()
			return next(ctx, d)
		}
	}
}

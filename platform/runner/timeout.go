package runner

import (
	"context"
	"errors"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// Timeout bounds one attempt. An attempt that runs out of time is a
// transient failure: it may be a slow moment, and the attempt count stops a
// task that is always too slow.
func Timeout(d time.Duration) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, dl *Delivery) error {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			err := next(ctx, dl)
			if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fault.Wrap(fault.Transient, err, "the task took longer than %s", d)
			}
			return err
		}
	}
}

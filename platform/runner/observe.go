package runner

import (
	"context"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// Observer is told about every delivery a runner handles: the metrics of
// platform/metrics, a worker's busy and idle reports to its fleet.
// Observers are called on the delivery's goroutine, so they must be quick
// and safe for concurrent use.
type Observer interface {
	// Begin is called as the delivery enters the handler chain.
	Begin(d *Delivery)
	// End is called with what the chain returned, and how long it took.
	End(d *Delivery, err error, took time.Duration)
}

// Observe tells the observers about every delivery. Put it first in the
// chain, so that the error End sees decides the outcome (see Outcome).
func Observe(obs ...Observer) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, d *Delivery) error {
			for _, o := range obs {
				o.Begin(d)
			}
			start := time.Now()
			err := next(ctx, d)
			took := time.Since(start)
			for _, o := range obs {
				o.End(d, err, took)
			}
			return err
		}
	}
}

// The outcomes of a delivery, as the runner settles it.
const (
	OutcomeAcked    = "acked"
	OutcomeNacked   = "nacked"
	OutcomeRejected = "rejected"
)

// Outcome is what the runner does with a delivery whose chain returned err:
// ack it (nil), nack it for redelivery (a retryable error), or ack and log
// an event that can never succeed.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeAcked
	case fault.Retryable(err):
		return OutcomeNacked
	default:
		return OutcomeRejected
	}
}

package runner

import (
	"context"
	"math"
	"time"

	"github.com/pixmill/pixmill/events/fault"
)

// BackoffPolicy spaces out retries of transient failures: the n-th attempt
// that failed waits Base·2^(n-1), at most Max, of which a random half is
// jitter so that tasks that failed together do not come back together.
type BackoffPolicy struct {
	Base, Max time.Duration
	// Rand returns a number in [0, 1); injected so tests are exact.
	Rand func() float64
}

// Delay is the wait after the given failed attempt.
func (p BackoffPolicy) Delay(attempt int) time.Duration {
	d := float64(p.Base) * math.Pow(2, float64(max(attempt, 1)-1))
	d = math.Min(d, float64(p.Max))
	return time.Duration(d/2 + d/2*p.Rand())
}

// Backoff marks retryable failures with the policy's delay, which the runner
// passes to the broker when it nacks.
func Backoff(p BackoffPolicy) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, d *Delivery) error {
			err := next(ctx, d)
			if fault.Retryable(err) {
				return WithRetryDelay(err, p.Delay(d.Attempt))
			}
			return err
		}
	}
}

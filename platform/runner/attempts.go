package runner

import (
	"context"
	"log/slog"
	"time"
)

// StartedConfig configures CountStarted.
type StartedConfig struct {
	// Started reports whether attempt n of d's request began (for a
	// pixmill task, whether its task.started was recorded). It must answer
	// from what the attempt left behind, not from the broker.
	Started func(ctx context.Context, d *Delivery, n int) (bool, error)
	// Grace is how long a missing record is waited for before the attempt
	// is taken not to have started (0: it is read once). The record of an
	// attempt that did start lags it by the time the responses queue
	// takes, milliseconds when it keeps up. Where a dead worker's request
	// comes back only after its lease, that lag is long past; a broker
	// that hands it out again at once (Broker.RedeliversAtOnce) wants a
	// grace of a second or two.
	Grace time.Duration
	// Poll is how often a missing record is looked for again within Grace
	// (default 100ms).
	Poll time.Duration
}

// CountStarted turns the broker's delivery count into the attempt number, so
// that a request the runner held ahead (see Config.Prefetch) and lost with
// its worker before it started does not count as a failed attempt.
//
// The runner holds a request unstarted only on its first delivery: a
// redelivered one is started the moment it arrives. So of the deliveries
// before this one at most the first did not start, and the attempt number is
// the delivery count b, or b-1 if that first delivery was lost. Which of the
// two it is shows in one record: delivery b-1 ran as attempt b-1 exactly when
// nothing was lost, so
//
//	b ≤ 1                          attempt 1, nothing read
//	attempt b-1 has started        attempt b
//	otherwise (within Grace)       attempt b-1
//
// For example, a request prefetched by a worker that was killed comes back
// with b = 2; no attempt 1 was recorded, so it runs as attempt 1. A poison
// request that killed its worker on attempts 1 and 2 comes back with b = 3
// and a started-2 record: attempt 3. Only the rare redelivery pays the
// read; a first delivery costs nothing.
//
// The rule never counts fewer than b-1 attempts, so a request is parked
// after at most one delivery more than the limit even if the records lag
// more than Grace or stop coming (a results function that is down); and
// where Started fails, the broker's count stands, as it would without
// prefetching. Waiting is the exception, not the rule: a request that died
// held waits the whole Grace on its next delivery, and a worker killed
// within that time loses it held again.
func CountStarted(cfg StartedConfig, log *slog.Logger) Middleware {
	if cfg.Poll <= 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, d *Delivery) error {
			if d.Attempt <= 1 {
				return next(ctx, d)
			}
			prev := d.Attempt - 1
			started, err := waitStarted(ctx, cfg, d, prev)
			switch {
			case err != nil:
				log.Warn("cannot tell whether the last attempt started; the broker's count stands", "subject", d.Event.Subject(), "delivery", d.Attempt, "err", err)
			case !started:
				d.Attempt = prev
			}
			return next(ctx, d)
		}
	}
}

// waitStarted asks cfg.Started about attempt n every cfg.Poll until it says
// yes or cfg.Grace has passed.
func waitStarted(ctx context.Context, cfg StartedConfig, d *Delivery, n int) (bool, error) {
	ok, err := cfg.Started(ctx, d, n)
	if ok || err != nil || cfg.Grace <= 0 {
		return ok, err
	}
	deadline := time.NewTimer(cfg.Grace)
	defer deadline.Stop()
	poll := time.NewTicker(cfg.Poll)
	defer poll.Stop()
	for {
		select {
		case <-poll.C:
		case <-deadline.C:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
		if ok, err := cfg.Started(ctx, d, n); ok || err != nil {
			return ok, err
		}
	}
}

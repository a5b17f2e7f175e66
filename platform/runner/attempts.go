package runner

import (
	"context"
	"log/slog"
	"time"
)

// StartedConfig configures CountStarted.
type StartedConfig struct {
	// Started reports whether attempt n of d's request began (for a
	// pixmill task, whether its started-{n} record is there). It must
	// answer from what the attempt left behind, not from the broker.
	Started func(ctx context.Context, d *Delivery, n int) (bool, error)
	// Grace is how long a missing record is waited for before the attempt
	// is taken not to have started (0: it is read once), for a record
	// that may lag its attempt. pixmill's worker needs none: the edit
	// function writes started-{n} itself before it reads the picture, so
	// the record of an attempt that started is there before the attempt
	// can die, even on a broker that redelivers a dead consumer's
	// messages at once (RabbitMQ).
	Grace time.Duration
	// Poll is how often a missing record is looked for again within Grace
	// (default 100ms).
	Poll time.Duration
	// Lost bounds how many deliveries of one request may be taken to have
	// died held (default 5; give the dead-letter wrapper's MaxAttempts):
	// beyond that each counts as an attempt again, so that a request that
	// keeps killing its worker is parked even if no record is ever written.
	Lost int
}

// CountStarted turns the broker's delivery count into the attempt number, so
// that a request the runner held ahead (see Config.Prefetch) and lost with
// its worker before it started does not count as a failed attempt.
//
// Each attempt that starts is numbered one more than the attempts before it
// and leaves a record, so the records of a request's attempts are numbered
// 1, 2, … with no gap, and the highest of them below the delivery count b is
// the number of attempts so far:
//
//	b ≤ 1                          attempt 1, nothing read
//	attempt b-1 has started        attempt b (one read: nothing was lost)
//	otherwise                      one more than the highest attempt
//	                               below b-1 that started, looked for
//	                               downwards, at most Lost of them
//
// For example, a request prefetched by a worker that was killed comes back
// with b = 2; no attempt 1 was recorded, so it runs as attempt 1. A poison
// request that killed its worker on attempts 1 and 2 comes back with b = 3
// and a started-2 record: attempt 3. Only the rare redelivery pays the
// reads; a first delivery costs nothing.
//
// The rule never counts fewer than b-Lost attempts, so a request is parked
// after at most Lost deliveries more than the limit even if no record is
// ever written (a bucket that refuses the write); and where Started
// fails, the broker's count stands, as it would without prefetching. Only
// the record of attempt b-1 is waited for (Grace): an older one has had a
// whole attempt's time to be written.
func CountStarted(cfg StartedConfig, log *slog.Logger) Middleware {
	if cfg.Poll <= 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	if cfg.Lost <= 0 {
		cfg.Lost = 5
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, d *Delivery) error {
			if d.Attempt <= 1 {
				return next(ctx, d)
			}
			n, err := attemptsSoFar(ctx, cfg, d)
			if err != nil {
				log.Warn("cannot tell which attempts started; the broker's count stands", "subject", d.Event.Subject(), "delivery", d.Attempt, "err", err)
				return next(ctx, d)
			}
			d.Attempt = n + 1
			return next(ctx, d)
		}
	}
}

// attemptsSoFar is the number of attempts that started before delivery
// d.Attempt, at least d.Attempt-1-cfg.Lost (and 0).
func attemptsSoFar(ctx context.Context, cfg StartedConfig, d *Delivery) (int, error) {
	b := d.Attempt
	ok, err := waitStarted(ctx, cfg, d, b-1)
	if ok || err != nil {
		return b - 1, err
	}
	floor := max(b-1-cfg.Lost, 0)
	for n := b - 2; n > floor; n-- {
		ok, err := cfg.Started(ctx, d, n)
		if ok || err != nil {
			return n, err
		}
	}
	return floor, nil
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

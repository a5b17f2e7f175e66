package runner

import (
	"context"
	"log/slog"
	"time"

	"gocloud.dev/pubsub"
)

// KeepLease extends a message's lease every interval while the handler works
// on it, so a healthy long edit is never handed to a second processor. The
// lease is the broker's ack wait; interval should be well inside it (a third
// of it leaves room for two missed beats). A processor that dies stops
// beating, and its messages go to others once the lease runs out.
func KeepLease(extend func(*pubsub.Message) error, interval time.Duration, log *slog.Logger) Middleware {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, d *Delivery) error {
			stop := make(chan struct{})
			beat := make(chan struct{})
			go func() {
				defer close(beat)
				t := time.NewTicker(interval)
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						if err := extend(d.Msg); err != nil {
							log.Warn("extending the lease failed", "subject", d.Event.Subject(), "err", err)
						}
					}
				}
			}()
			defer func() { close(stop); <-beat }()
			return next(ctx, d)
		}
	}
}

// Package dlq is the operator's view of the dead-letter queue: list what was
// parked and why, and redrive requests — send them again, as new messages
// with a fresh delivery-attempt count, after their task's failure and
// attempts are forgotten. The records come from the dead-letter function
// (functions/deadletter), which keeps one per parked message, and from the
// notifier of pixmill up, which keeps one per job-end notification it
// could not deliver (kind records.DeadLetterNotification): redriving one
// of those asks for it again, and the running pixmill up sends it at its
// next sweep (--notify-sweep).
package dlq

import (
	"context"
	"fmt"
	"time"

	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events/records"
)

// List returns the parked messages, oldest first.
func List(ctx context.Context, store *records.Store) ([]records.DeadLetter, error) {
	return store.DeadLetters(ctx)
}

// Redrive sends the parked messages selected by keep to requests and
// removes their records. It stops at the first failure; what was redriven
// until then stays redriven, and the rest stays parked.
func Redrive(ctx context.Context, store *records.Store, requests *pubsub.Topic, keep func(records.DeadLetter) bool) (int, error) {
	parked, err := store.DeadLetters(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range parked {
		if !keep(d) {
			continue
		}
		if d.Kind == records.DeadLetterNotification {
			if err := store.RedriveNotification(ctx, d.Owner, d.Job, time.Now()); err != nil {
				return n, err
			}
			if err := store.DeleteDeadLetter(ctx, d.Key); err != nil {
				return n, err
			}
			n++
			continue
		}
		if d.Task != "" {
			if err := store.ResetTask(ctx, d.Job, d.Task); err != nil {
				return n, err
			}
		}
		if err := requests.Send(ctx, &pubsub.Message{Body: d.Body, Metadata: d.Metadata}); err != nil {
			return n, fmt.Errorf("dlq: sending %s again: %w", d.Key, err)
		}
		if err := store.DeleteDeadLetter(ctx, d.Key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

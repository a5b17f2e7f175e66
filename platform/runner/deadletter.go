package runner

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"time"

	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

// DeadLetterConfig configures DeadLetter.
type DeadLetterConfig struct {
	// MaxAttempts is how many times a request is processed before it is
	// parked (default 5).
	MaxAttempts int
	// Topic receives parked messages: the original body and attributes,
	// plus the ce-pixmilldl* attributes saying why.
	Topic *pubsub.Topic
	// Responses, if set, receives a task.failed for a parked request, so its
	// owner is told instead of waiting.
	Responses *pubsub.Topic
	// Now stamps the task.failed events.
	Now func() time.Time
}

// DeadLetter parks what cannot succeed on the dead-letter topic, tells the
// request's owner, and lets the runner ack it, so a poison request blocks
// nothing else:
//
//   - a request delivered more than MaxAttempts times — its processor kept
//     dying before it could answer (a picture that crashes libvips) — is
//     parked without being processed again;
//   - a request whose last allowed attempt failed with a retryable error is
//     parked with that error;
//   - a message that can never succeed (not a CloudEvent, malformed data) is
//     parked at once.
//
// If parking fails the error is retryable and the message is nacked: a
// message is never dropped.
func DeadLetter(cfg DeadLetterConfig, log *slog.Logger) Middleware {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, d *Delivery) error {
			if d.Attempt > cfg.MaxAttempts {
				n := d.Attempt - 1
				return park(ctx, cfg, log, d, fault.Transient, n,
					fmt.Sprintf("gave up after %d attempts: the processor stopped before finishing each time (the picture may be crashing it)", n))
			}
			err := next(ctx, d)
			switch {
			case err == nil:
				return nil
			case fault.Retryable(err):
				if d.Attempt < cfg.MaxAttempts || ctx.Err() != nil {
					return err
				}
				return park(ctx, cfg, log, d, fault.Transient, d.Attempt,
					fmt.Sprintf("gave up after %d attempts: %s", d.Attempt, fault.Message(err)))
			default:
				return park(ctx, cfg, log, d, fault.KindOf(err), d.Attempt, fault.Message(err))
			}
		}
	}
}

func park(ctx context.Context, cfg DeadLetterConfig, log *slog.Logger, d *Delivery, kind fault.Kind, attempts int, reason string) error {
	md := maps.Clone(d.Msg.Metadata)
	if md == nil {
		md = map[string]string{}
	}
	md["ce-"+events.ExtDeadLetterReason] = reason
	md["ce-"+events.ExtDeadLetterKind] = string(kind)
	md["ce-"+events.ExtDeadLetterAttempts] = strconv.Itoa(attempts)
	if err := cfg.Topic.Send(ctx, &pubsub.Message{Body: d.Msg.Body, Metadata: md}); err != nil {
		return fault.Wrap(fault.Transient, err, "parking the request on the dead-letter topic")
	}
	log.Warn("request dead-lettered", "subject", d.Event.Subject(), "attempts", attempts, "kind", kind, "reason", reason)
	if cfg.Responses == nil || d.DecodeErr != nil || d.Event.Type() != events.TypeTaskRequested {
		return nil
	}
	var req events.TaskRequested
	if err := events.Decode(d.Event, &req); err != nil {
		return nil // parked; there is no owner to tell
	}
	e, err := events.New(events.SourceRunner, cfg.Now(), events.TaskFailed{
		Job: req.Job, Task: req.Task, Owner: req.Owner, Attempt: max(attempts, 1),
		Kind: string(kind), Reason: reason, DeadLettered: true,
	})
	if err == nil {
		err = events.Send(ctx, cfg.Responses, e)
	}
	if err != nil {
		// Parked twice is harmless (the dead-letter record is keyed by
		// task); an owner left waiting is not.
		return fault.Wrap(fault.Transient, err, "telling the owner about a dead-lettered request")
	}
	return nil
}

package jetstream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/pubsub"
)

// StreamOptions adjust the stream EnsureStream makes. The zero value is
// pixmill's queue: one copy on disk, no limits, work-queue retention.
type StreamOptions struct {
	// Fanout keeps a message after it is acked (limits retention), so that
	// several consumers can each receive every message. Without it the
	// stream is a work queue: a message is deleted once acked, and the
	// server refuses two consumers whose filters overlap.
	Fanout bool

	// MaxAge drops messages older than this; 0 keeps them until acked.
	MaxAge time.Duration

	// MaxBytes caps the stream's size; 0 is unlimited. When full the stream
	// refuses new messages (Send fails with gcerrors.ResourceExhausted)
	// rather than dropping queued work.
	MaxBytes int64

	// Duplicates is the window in which a second message with the same
	// Nats-Msg-Id is dropped (see TopicOptions.MsgIDKey); 0 is the
	// server's default, two minutes.
	Duplicates time.Duration

	// Replicas is the number of copies in a cluster; 0 means 1.
	Replicas int

	// Anchor keeps one message in a work queue that no consumer reads,
	// on a subject of its own (AnchorSubject), so that the stream is never
	// empty. NATS's file store replaces its write block whenever a stream
	// empties: a file created, a tombstone written, a file deleted. A
	// queue drained after each message — the responses, which the results
	// handler takes as they come — pays that on every message; anchored,
	// only when a block fills. Consumers must filter on their own subject
	// (pixmill's do), and the anchor counts in the stream's message total,
	// not in any consumer's backlog. Ignored with Fanout.
	Anchor bool
}

// AnchorSubject is the subject of the anchor of stream name (see
// StreamOptions.Anchor).
func AnchorSubject(name string) string { return "pixmill-anchor." + name }

// EnsureStream creates the file-backed stream name on subjects, or updates
// it to opts if it exists, and stores its anchor if opts ask for one and it
// has none. A platform calls it at start-up for each of its topics. Changes
// the server cannot apply in place (retention, storage) fail.
func EnsureStream(ctx context.Context, js natsjs.JetStream, name string, subjects []string, opts *StreamOptions) (natsjs.Stream, error) {
	cfg := StreamConfig(name, subjects, opts)
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("jetstream: ensure stream %q on %q: %w", name, subjects, err)
	}
	if anchored(opts) {
		subj := AnchorSubject(name)
		_, err := s.GetLastMsgForSubject(ctx, subj)
		if errors.Is(err, natsjs.ErrMsgNotFound) {
			_, err = js.Publish(ctx, subj, []byte("keeps this stream from emptying; no consumer reads it"), natsjs.WithMsgID(subj))
		}
		if err != nil {
			return nil, fmt.Errorf("jetstream: anchoring stream %q: %w", name, err)
		}
	}
	return s, nil
}

func anchored(o *StreamOptions) bool { return o != nil && o.Anchor && !o.Fanout }

// StreamConfig is the configuration of the stream EnsureStream makes: what
// pixmill needs of a stream that holds one of its queues.
func StreamConfig(name string, subjects []string, opts *StreamOptions) natsjs.StreamConfig {
	var o StreamOptions
	if opts != nil {
		o = *opts
	}
	cfg := natsjs.StreamConfig{
		Name:       name,
		Subjects:   subjects,
		Storage:    natsjs.FileStorage,
		Retention:  natsjs.WorkQueuePolicy,
		Discard:    natsjs.DiscardNew,
		MaxAge:     o.MaxAge,
		MaxBytes:   -1,
		Duplicates: o.Duplicates,
		Replicas:   max(o.Replicas, 1),
	}
	if o.Fanout {
		cfg.Retention = natsjs.LimitsPolicy
	}
	if o.MaxBytes > 0 {
		cfg.MaxBytes = o.MaxBytes
	}
	if anchored(&o) {
		cfg.Subjects = append(slices.Clone(subjects), AnchorSubject(name))
	}
	return cfg
}

// Backlog is the work waiting on a consumer, as an autoscaler reads it.
type Backlog struct {
	// Pending messages are stored and not yet delivered.
	Pending uint64
	// InFlight messages are delivered and not yet acked: being worked on,
	// or waiting out the lease of a worker that died.
	InFlight int
	// Redelivered counts the in-flight messages delivered more than once.
	Redelivered int
	// Waiting is the number of pull requests waiting for messages: idle
	// subscribers.
	Waiting int
}

// ConsumerBacklog reads the backlog of the durable consumer on the stream
// that holds subject, the two names in a subscription URL.
func ConsumerBacklog(ctx context.Context, js natsjs.JetStream, subject, consumer string) (Backlog, error) {
	stream, err := js.StreamNameBySubject(ctx, subject)
	if err != nil {
		return Backlog{}, fmt.Errorf("jetstream: find the stream that holds subject %q: %w", subject, err)
	}
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return Backlog{}, fmt.Errorf("jetstream: consumer %q on stream %q: %w", consumer, stream, err)
	}
	return backlog(ctx, c)
}

// SubscriptionBacklog reads the backlog of the consumer behind a
// subscription opened by this package.
func SubscriptionBacklog(ctx context.Context, s *pubsub.Subscription) (Backlog, error) {
	var c natsjs.Consumer
	if !s.As(&c) {
		return Backlog{}, errors.New("jetstream: not a subscription opened by this package")
	}
	return backlog(ctx, c)
}

func backlog(ctx context.Context, c natsjs.Consumer) (Backlog, error) {
	info, err := c.Info(ctx)
	if err != nil {
		return Backlog{}, fmt.Errorf("jetstream: consumer info: %w", err)
	}
	return Backlog{
		Pending:     info.NumPending,
		InFlight:    info.NumAckPending,
		Redelivered: info.NumRedelivered,
		Waiting:     info.NumWaiting,
	}, nil
}

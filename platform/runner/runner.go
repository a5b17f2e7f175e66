// Package runner is the pull runner that feeds a stateless function from a
// gocloud.dev subscription: receive a message, decode its CloudEvent, call
// the function, then ack or nack.
//
// # Delivery semantics
//
// At least once. A message is acked only after the function returned nil,
// that is after its result is stored and reported. A function error that
// fault says is retryable (storage or broker trouble, a panic, a cancelled
// handler) nacks the message so the broker redelivers it; where a broker
// cannot nack, the lease simply runs out. A message that can never succeed —
// it does not decode as a CloudEvent, or the function says the event is
// invalid — is logged and acked, so it cannot block the queue.
//
// # Shutdown
//
// When Run's context ends the runner stops receiving at once, gives the
// handlers it holds up to Config.Drain to finish, then cancels them; a
// cancelled handler's message is nacked, never lost.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/functions/fault"
)

// Handler is a stateless function of one event.
type Handler func(ctx context.Context, e cloudevents.Event) error

// Config tunes a Runner.
type Config struct {
	// Concurrency is the number of messages handled at once (default 1:
	// libvips already uses every core for one picture).
	Concurrency int
	// Drain is how long handlers may run on after Run's context ends
	// (default 25s, inside Kubernetes' default 30s termination grace).
	Drain time.Duration
	// DeliveryCount reads the broker's delivery count of a message; nil or
	// false means unknown, and the attempt is taken as 1.
	DeliveryCount func(*pubsub.Message) (int, bool)
}

func (c *Config) setDefaults() error {
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("runner: concurrency must be positive, got %d", c.Concurrency)
	}
	if c.Drain == 0 {
		c.Drain = 25 * time.Second
	}
	if c.Drain < 0 {
		return fmt.Errorf("runner: drain must not be negative, got %s", c.Drain)
	}
	return nil
}

// Stats counts outcomes since the runner started.
type Stats struct {
	Acked, Nacked, Rejected int64
}

// Runner receives and handles messages.
type Runner struct {
	sub *pubsub.Subscription
	h   Handler
	cfg Config
	log *slog.Logger

	acked, nacked, rejected atomic.Int64
}

// New returns a runner of h on sub.
func New(sub *pubsub.Subscription, h Handler, cfg Config, log *slog.Logger) (*Runner, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{sub: sub, h: h, cfg: cfg, log: log}, nil
}

// Stats returns the outcome counts so far.
func (r *Runner) Stats() Stats {
	return Stats{Acked: r.acked.Load(), Nacked: r.nacked.Load(), Rejected: r.rejected.Load()}
}

// Run handles messages until ctx ends, then drains. It returns nil after a
// drain, or the subscription's error if receiving failed for good.
func (r *Runner) Run(ctx context.Context) error {
	// Handlers get their own context: ending ctx stops receiving, not the
	// work in hand, which gets cfg.Drain more.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var wg sync.WaitGroup
	slots := make(chan struct{}, r.cfg.Concurrency)
	var recvErr error
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		m, err := r.sub.Receive(ctx)
		if err != nil {
			<-slots
			if ctx.Err() == nil {
				recvErr = fmt.Errorf("runner: receiving: %w", err)
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r.handle(work, m)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(r.cfg.Drain):
		r.log.Warn("drain deadline reached, releasing unfinished messages", "drain", r.cfg.Drain)
		cancelWork()
		<-done
	}
	return recvErr
}

func (r *Runner) handle(ctx context.Context, m *pubsub.Message) {
	e, err := events.FromMessage(m)
	if err != nil {
		r.log.Error("rejecting a message that is not a CloudEvent", "message", m.LoggableID, "err", err)
		r.rejected.Add(1)
		m.Ack()
		return
	}
	attempt := 1
	if r.cfg.DeliveryCount != nil {
		if n, ok := r.cfg.DeliveryCount(m); ok && n > 0 {
			attempt = n
		}
	}
	log := r.log.With("event", e.ID(), "type", e.Type(), "subject", e.Subject(), "attempt", attempt)
	err = r.call(events.WithAttempt(ctx, attempt), e)
	switch {
	case err == nil:
		r.acked.Add(1)
		m.Ack()
	case isContext(err) || fault.Retryable(err):
		log.Warn("handler failed, releasing for redelivery", "err", err)
		r.nacked.Add(1)
		if m.Nackable() {
			m.Nack()
		}
	default:
		log.Error("rejecting an event that cannot succeed", "err", err, "kind", fault.KindOf(err))
		r.rejected.Add(1)
		m.Ack()
	}
}

// call runs the handler, turning a panic into a transient error so one bad
// event cannot take the process down with the messages it holds.
func (r *Runner) call(ctx context.Context, e cloudevents.Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("handler panicked", "panic", p, "stack", string(debug.Stack()))
			err = fault.New(fault.Transient, "handler panicked: %v", p)
		}
	}()
	return r.h(ctx, e)
}

func isContext(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

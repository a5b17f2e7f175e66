// Package runner is the pull runner that feeds a stateless function from a
// gocloud.dev subscription: receive a message, decode its CloudEvent, pass it
// through the delivery wrappers (dead-letter, backoff, lease, timeout,
// recover — each in its own file), call the function, then ack or nack.
//
// # Delivery semantics
//
// At least once. A message is acked only after the handler chain returned
// nil: the function stored and reported its result, or the dead-letter
// wrapper parked the request and told its owner. A retryable error (storage
// or broker trouble, a panic, a timeout, a cancelled handler) nacks the
// message — after a back-off delay where the broker supports one — so it is
// delivered again; where a broker cannot nack, the lease runs out instead. A
// message that can never succeed and was not dead-lettered (no dead-letter
// wrapper configured) is logged and acked, so it cannot block the queue.
//
// # Prefetching and attempts
//
// With Config.Prefetch, the runner receives the next message while every
// handler is busy and holds it, its lease kept, until a handler is free, so
// a worker never waits for the broker between two requests. The broker
// counts a held message as delivered, and if the worker dies before it
// starts (SIGKILL, a crash of the picture next to it) the broker's count
// goes up by one for an attempt that never happened. CountStarted keeps the
// attempt number true: for a redelivered request only, it reads which of
// its attempts left a record; see CountStarted for the arithmetic.
//
// # Shutdown
//
// When Run's context ends the runner stops receiving at once, releases the
// messages it holds unstarted, gives the handlers it runs up to Config.Drain
// to finish, then cancels them; a cancelled handler's message is nacked,
// never lost.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

// Func is a stateless function of one event, as the functions in
// pixmill/functions are.
type Func func(ctx context.Context, e cloudevents.Event) error

// Delivery is one received message on its way to the function.
type Delivery struct {
	Msg *pubsub.Message
	// Event is the decoded CloudEvent; when the message is not one,
	// DecodeErr says why and Event is empty.
	Event     cloudevents.Event
	DecodeErr error
	// Attempt is the attempt number: the broker's delivery count (1 for
	// the first delivery, or 1 when the broker keeps none), until a
	// wrapper such as CountStarted corrects it.
	Attempt int
}

// Handler handles a delivery; the wrappers are Handlers around Handlers.
type Handler func(ctx context.Context, d *Delivery) error

// Middleware wraps a Handler in another.
type Middleware func(Handler) Handler

// Broker holds what the runner may ask of a broker beyond gocloud.dev's
// portable API. Nil fields are capabilities the broker lacks.
type Broker struct {
	// DeliveryCount reads the broker's delivery count of a message.
	DeliveryCount func(*pubsub.Message) (int, bool)
	// ExtendLease restarts a message's lease while it is being worked on.
	ExtendLease func(*pubsub.Message) error
	// NackWithDelay asks for redelivery after a delay, and settles the
	// message.
	NackWithDelay func(*pubsub.Message, time.Duration) error
}

// Config tunes a Runner.
type Config struct {
	// Concurrency is the number of messages handled at once (default 1).
	Concurrency int
	// Prefetch is how many messages are received ahead and held while
	// every handler is busy (default 0); see the package documentation.
	Prefetch int
	// HoldLease is how often a held message's lease is extended with
	// Broker.ExtendLease (0: never; give a third of the lease).
	HoldLease time.Duration
	// Drain is how long handlers may run on after Run's context ends
	// (default 25s, inside Kubernetes' default 30s termination grace).
	Drain  time.Duration
	Broker Broker
	// Middleware wraps the function, outermost first.
	Middleware []Middleware
}

func (c *Config) setDefaults() error {
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("runner: concurrency must be positive, got %d", c.Concurrency)
	}
	if c.Prefetch < 0 {
		return fmt.Errorf("runner: prefetch must not be negative, got %d", c.Prefetch)
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

// New returns a runner of h, wrapped in cfg.Middleware, on sub. Most
// handlers are a function: New(sub, Call(fn), …).
func New(sub *pubsub.Subscription, h Handler, cfg Config, log *slog.Logger) (*Runner, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for i := len(cfg.Middleware) - 1; i >= 0; i-- {
		h = cfg.Middleware[i](h)
	}
	return &Runner{sub: sub, h: h, cfg: cfg, log: log}, nil
}

// Call makes the innermost handler of a function: it runs fn on the event,
// with the delivery attempt in its context.
func Call(fn Func) Handler {
	return func(ctx context.Context, d *Delivery) error {
		if d.DecodeErr != nil {
			return fault.Wrap(fault.InvalidArgument, d.DecodeErr, "the message is not a CloudEvent pixmill can read")
		}
		return fn(events.WithAttempt(ctx, d.Attempt), d.Event)
	}
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
	// inHand bounds the messages received and not yet settled, running
	// bounds those being handled; the difference is what may be held.
	inHand := make(chan struct{}, r.cfg.Concurrency+r.cfg.Prefetch)
	running := make(chan struct{}, r.cfg.Concurrency)
	var recvErr error
	for {
		select {
		case inHand <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		m, err := r.sub.Receive(ctx)
		if err != nil {
			<-inHand
			if ctx.Err() == nil {
				recvErr = fmt.Errorf("runner: receiving: %w", err)
			}
			break
		}
		d := r.delivery(m)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-inHand }()
			if !r.await(ctx, d, running) {
				return
			}
			defer func() { <-running }()
			r.handle(work, d)
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

// await takes a handler slot for d, holding d until one is free and keeping
// its lease meanwhile. If ctx ends first, d is released unstarted and await
// reports false.
func (r *Runner) await(ctx context.Context, d *Delivery, running chan struct{}) bool {
	select {
	case running <- struct{}{}:
		return true
	default:
	}
	var beat <-chan time.Time
	if r.cfg.Broker.ExtendLease != nil && r.cfg.HoldLease > 0 {
		t := time.NewTicker(r.cfg.HoldLease)
		defer t.Stop()
		beat = t.C
	}
	for {
		select {
		case running <- struct{}{}:
			if ctx.Err() == nil {
				return true
			}
			<-running
		case <-beat:
			if err := r.cfg.Broker.ExtendLease(d.Msg); err != nil {
				r.log.Warn("extending the lease of a held message failed", "message", d.Msg.LoggableID, "err", err)
			}
			continue
		case <-ctx.Done():
		}
		r.release(d.Msg, 0, r.log.With("message", d.Msg.LoggableID))
		return false
	}
}

// delivery decodes m and reads the broker's delivery count.
func (r *Runner) delivery(m *pubsub.Message) *Delivery {
	d := &Delivery{Msg: m, Attempt: 1}
	d.Event, d.DecodeErr = events.FromMessage(m)
	if r.cfg.Broker.DeliveryCount != nil {
		if n, ok := r.cfg.Broker.DeliveryCount(m); ok && n > 0 {
			d.Attempt = n
		}
	}
	return d
}

func (r *Runner) handle(ctx context.Context, d *Delivery) {
	m := d.Msg
	err := r.h(ctx, d)
	log := r.log.With("message", m.LoggableID, "event", d.Event.ID(), "type", d.Event.Type(), "subject", d.Event.Subject(), "attempt", d.Attempt)
	switch Outcome(err) {
	case OutcomeAcked:
		r.acked.Add(1)
		m.Ack()
	case OutcomeNacked:
		delay, _ := RetryDelay(err)
		log.Warn("handler failed, releasing for redelivery", "err", err, "delay", delay)
		r.nacked.Add(1)
		r.release(m, delay, log)
	default:
		log.Error("rejecting an event that cannot succeed", "err", err, "kind", fault.KindOf(err))
		r.rejected.Add(1)
		m.Ack()
	}
}

// release hands m back for redelivery, after delay where the broker can wait.
func (r *Runner) release(m *pubsub.Message, delay time.Duration, log *slog.Logger) {
	if delay > 0 && r.cfg.Broker.NackWithDelay != nil {
		if err := r.cfg.Broker.NackWithDelay(m, delay); err != nil {
			log.Warn("delayed nack failed; redelivery may come sooner", "err", err)
		}
		return
	}
	if m.Nackable() {
		m.Nack()
	}
}

// retryDelay marks a retryable error with the back-off before redelivery.
type retryDelay struct {
	error
	delay time.Duration
}

func (e retryDelay) Unwrap() error { return e.error }

// WithRetryDelay asks for redelivery of a failed message after d.
func WithRetryDelay(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return retryDelay{err, d}
}

// RetryDelay returns the delay set by WithRetryDelay, if any.
func RetryDelay(err error) (time.Duration, bool) {
	var rd retryDelay
	if errors.As(err, &rd) {
		return rd.delay, true
	}
	return 0, false
}

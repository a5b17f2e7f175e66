package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/gcerrors"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/batcher"
	"gocloud.dev/pubsub/driver"
)

// ackBatcherOpts: acks go in batches of up to 100, each ack waiting for the
// server's reply; four batches may be in flight.
var ackBatcherOpts = &batcher.Options{
	MaxBatchSize: 100,
	MaxHandlers:  4,
}

// receiveBatcherOpts caps each ReceiveBatch at maxBatch messages, with one
// call at a time. With maxBatch 1 this is exactly the case in which gocloud
// stops growing its batches (pubsub.Subscription.updateBatchSize returns 1
// when MaxBatchSize and MaxHandlers are both 1); see the package
// documentation on prefetching.
func receiveBatcherOpts(maxBatch int) *batcher.Options {
	return &batcher.Options{MaxBatchSize: maxBatch, MaxHandlers: 1}
}

// OpenSubscription binds to the stream that holds subject, creates or
// updates the durable pull consumer opts.Consumer on it, filtered on subject,
// and returns a subscription that receives from it.
func OpenSubscription(ctx context.Context, js natsjs.JetStream, subject string, opts *SubscriptionOptions) (*pubsub.Subscription, error) {
	var o SubscriptionOptions
	if opts != nil {
		o = *opts
	}
	s, err := openSubscription(ctx, js, subject, o)
	if err != nil {
		return nil, err
	}
	return pubsub.NewSubscription(s, receiveBatcherOpts(s.opts.MaxBatch), ackBatcherOpts), nil
}

func openSubscription(ctx context.Context, js natsjs.JetStream, subject string, opts SubscriptionOptions) (*subscription, error) {
	opts.setDefaults()
	if err := errors.Join(checkSubject(subject, true), opts.validate()); err != nil {
		return nil, err
	}
	stream, err := js.StreamNameBySubject(ctx, subject)
	if errors.Is(err, natsjs.ErrStreamNotFound) {
		return nil, fmt.Errorf("jetstream: no stream holds subject %q (stream %s is what pixmill provision makes for it): %w", subject, StreamName(subject), err)
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: find the stream that holds subject %q: %w", subject, err)
	}
	c, err := js.CreateOrUpdateConsumer(ctx, stream, ConsumerConfig(subject, opts))
	if err != nil {
		return nil, fmt.Errorf("jetstream: create or update consumer %q on stream %q: %w", opts.Consumer, stream, err)
	}
	s := newSubscription(js, stream, opts)
	s.consumer = c
	return s, nil
}

// ConsumerConfig is the durable consumer a subscription on subject with
// opts reads, as OpenSubscription creates or updates it. opts are taken with
// their defaults.
func ConsumerConfig(subject string, opts SubscriptionOptions) natsjs.ConsumerConfig {
	opts.setDefaults()
	return natsjs.ConsumerConfig{
		Durable:       opts.Consumer,
		FilterSubject: subject,
		AckPolicy:     natsjs.AckExplicitPolicy,
		AckWait:       opts.AckWait,
		MaxDeliver:    opts.MaxDeliver,
	}
}

// newSubscription returns a subscription that looks its consumer up on first
// use, so that one that does not exist fails on receive, as gocloud expects.
func newSubscription(js natsjs.JetStream, stream string, opts SubscriptionOptions) *subscription {
	return &subscription{js: js, stream: stream, opts: opts, held: map[natsjs.Msg]struct{}{}}
}

type subscription struct {
	js     natsjs.JetStream
	stream string
	opts   SubscriptionOptions

	mu       sync.Mutex
	consumer natsjs.Consumer // nil until looked up
	// held are the messages fetched and neither acked nor nacked yet; Close
	// naks them.
	held   map[natsjs.Msg]struct{}
	closed bool
}

var _ driver.Subscription = (*subscription)(nil)

func (s *subscription) lookup(ctx context.Context) (natsjs.Consumer, error) {
	s.mu.Lock()
	c := s.consumer
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := s.js.Consumer(ctx, s.stream, s.opts.Consumer)
	if err != nil {
		return nil, fmt.Errorf("jetstream: consumer %q on stream %q: %w", s.opts.Consumer, s.stream, noReply(ctx, "look up consumer", err))
	}
	s.mu.Lock()
	s.consumer = c
	s.mu.Unlock()
	return c, nil
}

// ReceiveBatch waits up to FetchWait for one message, then takes whatever
// else is already waiting, up to min(maxMessages, MaxBatch) in all. Asking
// for one message first, instead of the whole batch, returns it as soon as
// it arrives: a pull for n messages would wait until n came or FetchWait
// passed, holding the first one's lease all that time.
func (s *subscription) ReceiveBatch(ctx context.Context, maxMessages int) ([]*driver.Message, error) {
	c, err := s.lookup(ctx)
	if err != nil {
		return nil, err
	}
	n := min(maxMessages, s.opts.MaxBatch)
	msgs, err := s.fetch(ctx, c, 1, false)
	if err != nil {
		return nil, s.explain(ctx, c, err)
	}
	if len(msgs) == 1 && n > 1 {
		// An error here is left for the next call to meet again; the
		// message in hand is delivered now.
		more, err := s.fetch(ctx, c, n-1, true)
		if err == nil {
			msgs = append(msgs, more...)
		}
	}
	dms := make([]*driver.Message, 0, len(msgs))
	for _, m := range msgs {
		if !s.hold(m) {
			continue
		}
		dms = append(dms, toDriverMessage(m))
	}
	return dms, nil
}

// fetch pulls up to n messages, waiting FetchWait for them unless noWait.
func (s *subscription) fetch(ctx context.Context, c natsjs.Consumer, n int, noWait bool) ([]natsjs.Msg, error) {
	var batch natsjs.MessageBatch
	var err error
	if noWait {
		batch, err = c.FetchNoWait(n)
	} else {
		batch, err = c.Fetch(n, natsjs.FetchMaxWait(s.opts.FetchWait))
	}
	if err != nil {
		return nil, err
	}
	var msgs []natsjs.Msg
	for {
		select {
		case m, ok := <-batch.Messages():
			if !ok {
				if err := batch.Error(); err != nil && len(msgs) == 0 {
					return nil, err
				}
				return msgs, nil
			}
			msgs = append(msgs, m)
		case <-ctx.Done():
			// The server may still answer this pull request. Whatever
			// it sends, and what came already, goes back at once:
			// left alone it would wait out its ack wait.
			go func() {
				for _, m := range msgs {
					_ = m.Nak()
				}
				for m := range batch.Messages() {
					_ = m.Nak()
				}
			}()
			return nil, ctx.Err()
		}
	}
}

// explain replaces the error of a fetch from a consumer that no longer
// exists: the server does not answer such a pull, which reads as
// "no responders", a retryable error that would make gocloud retry forever.
func (s *subscription) explain(ctx context.Context, c natsjs.Consumer, err error) error {
	if !errors.Is(err, nats.ErrNoResponders) {
		return err
	}
	if goneErr := s.gone(ctx, c); goneErr != nil {
		return goneErr
	}
	return err
}

// gone returns a NotFound error if the consumer c no longer exists, and nil
// if it does or the server cannot tell.
func (s *subscription) gone(ctx context.Context, c natsjs.Consumer) error {
	_, err := c.Info(ctx)
	if errorCode(err) != gcerrors.NotFound {
		return nil
	}
	s.mu.Lock()
	s.consumer = nil // look it up again, in case it is re-created
	s.mu.Unlock()
	return fmt.Errorf("jetstream: consumer %q on stream %q: %w", s.opts.Consumer, s.stream, err)
}

// hold records m as fetched and not yet settled. After Close it naks m
// instead and reports false: nobody will receive it any more.
func (s *subscription) hold(m natsjs.Msg) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = m.Nak()
		return false
	}
	s.held[m] = struct{}{}
	return true
}

func (s *subscription) release(m natsjs.Msg) {
	s.mu.Lock()
	delete(s.held, m)
	s.mu.Unlock()
}

func toDriverMessage(m natsjs.Msg) *driver.Message {
	var id string
	if meta, err := m.Metadata(); err == nil {
		id = strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	return &driver.Message{
		LoggableID: id,
		Body:       m.Data(),
		Metadata:   decodeMetadata(m.Headers()),
		AckID:      m,
		AsFunc: func(i any) bool {
			p, ok := i.(*natsjs.Msg)
			if ok {
				*p = m
			}
			return ok
		},
	}
}

// SendAcks acks each message and waits for the server to confirm, so that
// an acked message is known to be gone from the queue. It stops at the
// first failure; gocloud retries the batch if the error is retryable, and
// the messages acked already are skipped then.
//
// An ack the server does not answer because the consumer was deleted is
// dropped: no one will deliver the message on that consumer again, and
// retrying it would block Shutdown forever. Receive reports the deletion.
func (s *subscription) SendAcks(ctx context.Context, ids []driver.AckID) error {
	for _, id := range ids {
		m := id.(natsjs.Msg)
		err := m.DoubleAck(ctx)
		if errors.Is(err, nats.ErrNoResponders) && s.consumerGone(ctx) {
			err = nil
		}
		if err != nil && !errors.Is(err, natsjs.ErrMsgAlreadyAckd) {
			return noReply(ctx, "ack", err)
		}
		s.release(m)
	}
	return nil
}

// consumerGone reports whether the consumer is known to be deleted.
func (s *subscription) consumerGone(ctx context.Context) bool {
	s.mu.Lock()
	c := s.consumer
	s.mu.Unlock()
	return c == nil || s.gone(ctx, c) != nil
}

func (s *subscription) CanNack() bool { return true }

// SendNacks asks the server to deliver the messages again now, to this
// consumer's next fetch from any subscriber.
func (s *subscription) SendNacks(ctx context.Context, ids []driver.AckID) error {
	for _, id := range ids {
		m := id.(natsjs.Msg)
		if err := m.Nak(); err != nil && !errors.Is(err, natsjs.ErrMsgAlreadyAckd) {
			return err
		}
		s.release(m)
	}
	return nil
}

func (s *subscription) IsRetryable(err error) bool { return isRetryable(err) }

// As gives the natsjs.Consumer (once looked up) and the natsjs.JetStream.
func (s *subscription) As(i any) bool {
	switch p := i.(type) {
	case *natsjs.Consumer:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.consumer == nil {
			return false
		}
		*p = s.consumer
		return true
	case *natsjs.JetStream:
		*p = s.js
		return true
	}
	return false
}

func (s *subscription) ErrorAs(err error, i any) bool { return errorAs(err, i) }

func (s *subscription) ErrorCode(err error) gcerrors.ErrorCode { return errorCode(err) }

// Close naks the messages fetched but neither acked nor nacked, so that
// they are delivered again at once rather than after their ack wait. These
// are the ones gocloud fetched ahead and never handed out, and any still in
// a handler: once the pubsub.Subscription is shut down their acks cannot be
// sent anyway.
func (s *subscription) Close() error {
	s.mu.Lock()
	held := s.held
	s.held = nil
	s.closed = true
	s.mu.Unlock()
	for m := range held {
		_ = m.Nak()
	}
	return nil
}

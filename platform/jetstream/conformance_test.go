package jetstream

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/driver"
	"gocloud.dev/pubsub/drivertest"

	"github.com/pixmill/pixmill/platform/embedded"
)

// harness runs drivertest against a fresh embedded server per test. Each
// topic is a stream of its own on a subject of its own, with limits
// retention, because drivertest gives one topic several subscriptions that
// must each get every message (a work queue allows only one).
type harness struct {
	srv *embedded.NATS
	nc  *nats.Conn
	js  natsjs.JetStream
	seq atomic.Int64
}

func newHarness(_ context.Context, t *testing.T) (drivertest.Harness, error) {
	srv := startServer(t)
	nc, js := connect(t, srv)
	return &harness{srv: srv, nc: nc, js: js}, nil
}

func (h *harness) CreateTopic(ctx context.Context, _ string) (driver.Topic, func(), error) {
	n := h.seq.Add(1)
	stream, subject := fmt.Sprintf("CONFORMANCE_%d", n), fmt.Sprintf("conformance.%d", n)
	if _, err := EnsureStream(ctx, h.js, stream, []string{subject}, &StreamOptions{Fanout: true}); err != nil {
		return nil, nil, err
	}
	t, err := openTopic(h.js, subject, nil)
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = h.js.DeleteStream(context.Background(), stream) }
	return t, cleanup, nil
}

func (h *harness) MakeNonexistentTopic(context.Context) (driver.Topic, error) {
	return openTopic(h.js, "conformance.nobody.listens", nil)
}

func (h *harness) CreateSubscription(ctx context.Context, dt driver.Topic, _ string) (driver.Subscription, func(), error) {
	t := dt.(*topic)
	name := fmt.Sprintf("sub_%d", h.seq.Add(1))
	s, err := openSubscription(ctx, h.js, t.subject, SubscriptionOptions{Consumer: name})
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = h.js.DeleteConsumer(context.Background(), s.stream, name) }
	return s, cleanup, nil
}

func (h *harness) MakeNonexistentSubscription(context.Context) (driver.Subscription, func(), error) {
	opts := SubscriptionOptions{Consumer: "nobody"}
	opts.setDefaults()
	return newSubscription(h.js, "NO_SUCH_STREAM", opts), func() {}, nil
}

func (h *harness) Close() {}

func (h *harness) MaxBatchSizes() (int, int) {
	return sendBatcherOpts.MaxBatchSize, ackBatcherOpts.MaxBatchSize
}

func (h *harness) SupportsMultipleSubscriptions() bool { return true }

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, newHarness, []drivertest.AsTest{asTest{}})
}

// asTest checks the types the package documentation promises to As.
type asTest struct{}

func (asTest) Name() string { return "jetstream types" }

func (asTest) TopicCheck(t *pubsub.Topic) error {
	var js natsjs.JetStream
	if !t.As(&js) {
		return errors.New("Topic.As(*jetstream.JetStream) failed")
	}
	return nil
}

func (asTest) SubscriptionCheck(s *pubsub.Subscription) error {
	var c natsjs.Consumer
	if !s.As(&c) {
		return errors.New("Subscription.As(*jetstream.Consumer) failed")
	}
	var js natsjs.JetStream
	if !s.As(&js) {
		return errors.New("Subscription.As(*jetstream.JetStream) failed")
	}
	return nil
}

func (asTest) TopicErrorCheck(t *pubsub.Topic, err error) error {
	var jsErr natsjs.JetStreamError
	if !t.ErrorAs(err, &jsErr) {
		return fmt.Errorf("Topic.ErrorAs(%v, *jetstream.JetStreamError) failed", err)
	}
	var n int
	if t.ErrorAs(err, &n) {
		return errors.New("Topic.ErrorAs(*int) succeeded")
	}
	return nil
}

func (asTest) SubscriptionErrorCheck(s *pubsub.Subscription, err error) error {
	var apiErr *natsjs.APIError
	if !s.ErrorAs(err, &apiErr) {
		return fmt.Errorf("Subscription.ErrorAs(%v, **jetstream.APIError) failed", err)
	}
	if apiErr.Code != 404 {
		return fmt.Errorf("API error code %d, want 404", apiErr.Code)
	}
	return nil
}

func (asTest) MessageCheck(m *pubsub.Message) error {
	var jm natsjs.Msg
	if !m.As(&jm) {
		return errors.New("Message.As(*jetstream.Msg) failed")
	}
	if n, ok := DeliveryCount(m); !ok || n != 1 {
		return fmt.Errorf("DeliveryCount = %d, %t; want 1, true", n, ok)
	}
	return nil
}

func (asTest) BeforeSend(as func(any) bool) error {
	var m *nats.Msg
	if !as(&m) {
		return errors.New("BeforeSend As(**nats.Msg) failed")
	}
	return nil
}

func (asTest) AfterSend(as func(any) bool) error {
	var ack *natsjs.PubAck
	if !as(&ack) {
		return errors.New("AfterSend As(**jetstream.PubAck) failed")
	}
	if ack.Sequence == 0 {
		return errors.New("AfterSend: PubAck has no sequence")
	}
	return nil
}

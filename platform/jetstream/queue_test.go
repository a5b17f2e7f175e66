package jetstream

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/platform/embedded"
)

// queue is a work-queue stream on a fresh embedded server, as the platform
// sets one up.
type queue struct {
	srv     *embedded.NATS
	nc      *nats.Conn
	js      natsjs.JetStream
	stream  string
	subject string
}

func newQueue(t *testing.T) *queue {
	t.Helper()
	srv := startServer(t)
	nc, js := connect(t, srv)
	q := &queue{srv: srv, nc: nc, js: js, stream: "TASKS", subject: "pixmill.tasks"}
	if _, err := EnsureStream(t.Context(), js, q.stream, []string{q.subject}, nil); err != nil {
		t.Fatal(err)
	}
	return q
}

func (q *queue) topic(t *testing.T, opts *TopicOptions) *pubsub.Topic {
	t.Helper()
	top, err := OpenTopic(q.js, q.subject, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(top.Shutdown) })
	return top
}

func (q *queue) subscription(t *testing.T, opts SubscriptionOptions) *pubsub.Subscription {
	t.Helper()
	if opts.Consumer == "" {
		opts.Consumer = "workers"
	}
	s, err := OpenSubscription(t.Context(), q.js, q.subject, &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(s.Shutdown) })
	return s
}

// shutdown calls a Shutdown method with a deadline, so that acks still
// retrying cannot hang the test. The error is dropped: some tests shut down
// themselves first.
func shutdown(f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = f(ctx)
}

// publish sends one message per body, each with a ce-id.
func (q *queue) publish(t *testing.T, bodies ...string) {
	t.Helper()
	top := q.topic(t, nil)
	for i, b := range bodies {
		m := &pubsub.Message{Body: []byte(b), Metadata: map[string]string{"ce-id": fmt.Sprint(i)}}
		if err := top.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
}

func (q *queue) backlog(t *testing.T, consumer string) Backlog {
	t.Helper()
	b, err := ConsumerBacklog(t.Context(), q.js, q.subject, consumer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// receive waits up to d for a message.
func receive(t *testing.T, s *pubsub.Subscription, d time.Duration) *pubsub.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	m, err := s.Receive(ctx)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return m
}

func deliveryCount(t *testing.T, m *pubsub.Message) int {
	t.Helper()
	n, ok := DeliveryCount(m)
	if !ok {
		t.Fatal("DeliveryCount: not a JetStream message")
	}
	return n
}

package brokers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"gocloud.dev/pubsub"
	_ "gocloud.dev/pubsub/gcppubsub"
	"gocloud.dev/pubsub/rabbitpubsub"

	"github.com/pixmill/pixmill/platform/backendtest"
	"github.com/pixmill/pixmill/platform/brokers"
)

func TestMain(m *testing.M) {
	backendtest.SetEnv()
	m.Run()
}

func TestFor(t *testing.T) {
	tests := []struct {
		url                   string
		count, lease, delayed bool
	}{
		{"jetstream://127.0.0.1:4222/pixmill.requests?consumer=workers", true, true, true},
		{"gcppubsub://projects/p/subscriptions/s?max_recv_batch_size=1", true, true, false},
		{"rabbit://pixmill.requests?prefetch_count=1", true, false, true},
		{"mem://requests", false, false, false},
		{"::not a url", false, false, false},
	}
	for _, tt := range tests {
		b := brokers.For(tt.url)
		if got := [3]bool{b.DeliveryCount != nil, b.ExtendLease != nil, b.NackWithDelay != nil}; got != [3]bool{tt.count, tt.lease, tt.delayed} {
			t.Errorf("For(%q): count, lease, delayed nack = %v, want %v", tt.url, got, [3]bool{tt.count, tt.lease, tt.delayed})
		}
	}
}

// receive takes the next message from sub within 20s.
func receive(t *testing.T, sub *pubsub.Subscription) *pubsub.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := sub.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func attempt(t *testing.T, count func(*pubsub.Message) (int, bool), m *pubsub.Message) int {
	t.Helper()
	n, ok := count(m)
	if !ok {
		t.Fatalf("no delivery count on %v", m.Metadata)
	}
	return n
}

// TestRabbitDeliveryCount counts on a real RabbitMQ quorum queue: a nack and
// a consumer whose connection dies each raise the count, and a redriven
// message that still carries the count of its earlier life starts at 1.
func TestRabbitDeliveryCount(t *testing.T) {
	_, prefix, q := provisionRabbit(t)
	ctx := context.Background()
	topic, err := pubsub.OpenTopic(ctx, q.RequestsTopic)
	if err != nil {
		t.Fatal(err)
	}
	defer topic.Shutdown(ctx)
	// As a message parked and redriven by pixmill looks.
	if err := topic.Send(ctx, &pubsub.Message{Body: []byte("x"), Metadata: map[string]string{"x-delivery-count": "4"}}); err != nil {
		t.Fatal(err)
	}
	// A subscription on its own connection, so that the test can kill it.
	c2, err := amqp.Dial(backendtest.Env["RABBIT_SERVER_URL"])
	if err != nil {
		t.Fatal(err)
	}
	sub := openRabbit(t, c2, prefix)
	m := receive(t, sub)
	if n := attempt(t, brokers.RabbitDeliveryCount, m); n != 1 {
		t.Errorf("first delivery: attempt %d, want 1", n)
	}
	m.Nack()
	m = receive(t, sub)
	if n := attempt(t, brokers.RabbitDeliveryCount, m); n != 2 {
		t.Errorf("after a nack: attempt %d, want 2", n)
	}
	c2.Close() // the consumer dies holding the message
	c3, err := amqp.Dial(backendtest.Env["RABBIT_SERVER_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	sub = openRabbit(t, c3, prefix)
	m = receive(t, sub)
	if n := attempt(t, brokers.RabbitDeliveryCount, m); n != 3 {
		t.Errorf("after the consumer died: attempt %d, want 3", n)
	}
	m.Ack()
}

// provisionRabbit makes pixmill's queues on the machine's RabbitMQ, named
// for this test, and removes them after it.
func provisionRabbit(t *testing.T) (*amqp.Connection, string, brokers.Queues) {
	t.Helper()
	backendtest.Need(t, "rabbitmq", backendtest.RabbitAddr)
	conn, err := amqp.Dial(backendtest.Env["RABBIT_SERVER_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	prefix := fmt.Sprintf("pixmill-test-%d", time.Now().UnixNano())
	q, err := brokers.ProvisionRabbit(conn, prefix, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := brokers.DeleteRabbit(conn, prefix); err != nil {
			t.Error(err)
		}
	})
	return conn, prefix, q
}

func openRabbit(t *testing.T, conn *amqp.Connection, prefix string) *pubsub.Subscription {
	t.Helper()
	one := 1
	sub := rabbitpubsub.OpenSubscription(conn, prefix+".requests", &rabbitpubsub.SubscriptionOptions{PrefetchCount: &one})
	t.Cleanup(func() { _ = sub.Shutdown(context.Background()) })
	return sub
}

// TestPubSubDeliveryCount counts on the Pub/Sub emulator, with the
// subscription ProvisionPubSub makes, and extends a lease.
func TestPubSubDeliveryCount(t *testing.T) {
	backendtest.Need(t, "pubsub", backendtest.PubSubAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := brokers.PubSubConfig{Project: backendtest.PubSubProject, Prefix: fmt.Sprintf("test-%d", time.Now().UnixNano()), MaxAttempts: 4, AckDeadline: 10 * time.Second}
	q, err := brokers.ProvisionPubSub(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := brokers.DeletePubSub(context.Background(), cfg); err != nil {
			t.Error(err)
		}
	})
	topic, err := pubsub.OpenTopic(ctx, q.RequestsTopic)
	if err != nil {
		t.Fatal(err)
	}
	defer topic.Shutdown(ctx)
	sub, err := pubsub.OpenSubscription(ctx, q.RequestsSubscription)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Shutdown(ctx)
	if err := topic.Send(ctx, &pubsub.Message{Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	b := brokers.For(q.RequestsSubscription)
	m := receive(t, sub)
	if n := attempt(t, b.DeliveryCount, m); n != 1 {
		t.Errorf("first delivery: attempt %d, want 1", n)
	}
	if err := b.ExtendLease(m); err != nil {
		t.Errorf("extending the lease: %v", err)
	}
	m.Nack()
	m = receive(t, sub)
	if n := attempt(t, b.DeliveryCount, m); n != 2 {
		t.Errorf("after a nack: attempt %d, want 2", n)
	}
	m.Ack()
}

func TestSubscriptionFor(t *testing.T) {
	tests := []struct {
		url    string
		inHand int
		want   string
	}{
		{"rabbit://pixmill.requests?prefetch_count=1", 2, "rabbit://pixmill.requests?prefetch_count=2"},
		{"rabbit://pixmill.requests", 3, "rabbit://pixmill.requests?prefetch_count=3"},
		{"jetstream://127.0.0.1:4222/pixmill.requests?consumer=workers&max_batch=1", 2, "jetstream://127.0.0.1:4222/pixmill.requests?consumer=workers&max_batch=1"},
		{"gcppubsub://projects/p/subscriptions/s?max_recv_batch_size=1", 2, "gcppubsub://projects/p/subscriptions/s?max_recv_batch_size=1"},
		{"::not a url", 2, "::not a url"},
	}
	for _, tt := range tests {
		if got := brokers.SubscriptionFor(tt.url, tt.inHand); got != tt.want {
			t.Errorf("SubscriptionFor(%q, %d) = %q, want %q", tt.url, tt.inHand, got, tt.want)
		}
	}
}

// TestDefaultPrefetch: workers receive one ahead except on Pub/Sub, where a
// pull left pending by a killed worker is served to nobody.
func TestDefaultPrefetch(t *testing.T) {
	tests := []struct {
		url  string
		want int
	}{
		{"jetstream://127.0.0.1:4222/pixmill.requests?consumer=workers", 1},
		{"rabbit://pixmill.requests?prefetch_count=1", 1},
		{"gcppubsub://projects/p/subscriptions/s?max_recv_batch_size=1", 0},
		{"mem://requests", 1},
	}
	for _, tt := range tests {
		if got := brokers.DefaultPrefetch(tt.url); got != tt.want {
			t.Errorf("DefaultPrefetch(%q) = %d, want %d", tt.url, got, tt.want)
		}
	}
}

// TestRabbitHoldsWhatTheRunnerHolds opens the requests queue with the URL a
// worker that runs one task and prefetches one uses: RabbitMQ hands it two
// messages and keeps the third ready, so nothing waits in the worker's
// buffer beyond what its runner holds.
func TestRabbitHoldsWhatTheRunnerHolds(t *testing.T) {
	conn, prefix, q := provisionRabbit(t)
	ctx := context.Background()
	topic, err := pubsub.OpenTopic(ctx, q.RequestsTopic)
	if err != nil {
		t.Fatal(err)
	}
	defer topic.Shutdown(ctx)
	for i := range 3 {
		if err := topic.Send(ctx, &pubsub.Message{Body: []byte{byte('a' + i)}}); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := pubsub.OpenSubscription(ctx, brokers.SubscriptionFor(q.RequestsSubscription, 2))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Shutdown(ctx)
	held := []*pubsub.Message{receive(t, sub), receive(t, sub)}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	var ready int
	for range 50 {
		info, err := ch.QueueDeclarePassive(prefix+".requests", true, false, false, false, amqp.Table{"x-queue-type": "quorum"})
		if err != nil {
			t.Fatal(err)
		}
		if ready = info.Messages; ready == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ready != 1 {
		t.Fatalf("%d messages ready with two held, want 1: the consumer took more than it holds", ready)
	}
	for _, m := range held {
		m.Ack()
	}
}

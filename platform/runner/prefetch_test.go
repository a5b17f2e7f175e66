package runner

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/platform/embedded/embeddedtest"
	"github.com/pixmill/pixmill/platform/jetstream"
)

// queue is a work-queue stream on an embedded JetStream server, a real
// server, with a topic on its subject and a consumer's subscription.
type queue struct {
	js      natsjs.JetStream
	topic   *pubsub.Topic
	sub     *pubsub.Subscription
	subject string
}

const consumer = "workers"

func newQueue(t *testing.T) *queue {
	t.Helper()
	ctx := context.Background()
	_, js := embeddedtest.Start(t, "")
	q := &queue{js: js, subject: "test.requests"}
	var err error
	if _, err = jetstream.EnsureStream(ctx, js, "TEST_REQUESTS", []string{q.subject}, nil); err != nil {
		t.Fatal(err)
	}
	if q.topic, err = jetstream.OpenTopic(js, q.subject, nil); err != nil {
		t.Fatal(err)
	}
	if q.sub, err = jetstream.OpenSubscription(ctx, js, q.subject, &jetstream.SubscriptionOptions{Consumer: consumer, AckWait: time.Minute}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = q.sub.Shutdown(context.Background())
		_ = q.topic.Shutdown(context.Background())
	})
	return q
}

func (q *queue) send(t *testing.T, task string) {
	t.Helper()
	e, err := events.New(events.SourceGateway, time.Now(), events.TaskStarted{Job: "j", Task: task, Owner: "o", Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Send(context.Background(), q.topic, e); err != nil {
		t.Fatal(err)
	}
}

// inFlight is what the server says the consumer has delivered and not had
// acked: the messages the runner holds, running or waiting.
func (q *queue) inFlight(t *testing.T) int {
	t.Helper()
	b, err := jetstream.ConsumerBacklog(context.Background(), q.js, q.subject, consumer)
	if err != nil {
		t.Fatal(err)
	}
	return b.InFlight
}

// waitInFlight waits until the server reports n messages in flight.
func (q *queue) waitInFlight(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for q.inFlight(t) != n {
		if time.Now().After(deadline) {
			t.Fatalf("in flight: %d, want %d", q.inFlight(t), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPrefetch runs a handler that blocks on the first of three messages.
// With prefetching the server has delivered the second one meanwhile (two
// in flight), and it starts the moment the first handler returns; without,
// only the running one is in flight. Either way one handler runs at a time.
func TestPrefetch(t *testing.T) {
	for _, tt := range []struct {
		prefetch     int
		wantInFlight int
	}{
		{prefetch: 0, wantInFlight: 1},
		{prefetch: 1, wantInFlight: 2},
	} {
		t.Run(fmt.Sprintf("prefetch=%d", tt.prefetch), func(t *testing.T) {
			q := newQueue(t)
			release := make(chan struct{})
			started := make(chan string, 3)
			var mu sync.Mutex
			running, most := 0, 0
			h := func(ctx context.Context, d *Delivery) error {
				mu.Lock()
				running++
				most = max(most, running)
				mu.Unlock()
				started <- d.Event.Subject()
				if d.Event.Subject() == "first" {
					<-release
				}
				mu.Lock()
				running--
				mu.Unlock()
				return nil
			}
			r, err := New(q.sub, h, Config{Concurrency: 1, Prefetch: tt.prefetch, Drain: time.Second}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range []string{"first", "second", "third"} {
				q.send(t, task)
			}
			stop := run(t, r)
			if got := <-started; got != "first" {
				t.Fatalf("first handler ran %q", got)
			}
			q.waitInFlight(t, tt.wantInFlight)
			// Give a runner that would take more the time to do it.
			time.Sleep(100 * time.Millisecond)
			if got := q.inFlight(t); got != tt.wantInFlight {
				t.Fatalf("while the first handler runs, %d messages are in flight, want %d", got, tt.wantInFlight)
			}
			select {
			case s := <-started:
				t.Fatalf("%s started while the first handler ran", s)
			default:
			}
			close(release)
			for range 2 {
				<-started
			}
			q.waitInFlight(t, 0)
			stop()
			if most != 1 {
				t.Errorf("%d handlers ran at once, want 1", most)
			}
			if st := r.Stats(); st.Acked != 3 {
				t.Errorf("stats %+v, want 3 acked", st)
			}
		})
	}
}

// TestPrefetchReleasesHeldOnStop stops a runner while it holds a message it
// has not started: the message goes back to the server at once, unhandled
// (its lease is a minute), and the one being handled finishes.
func TestPrefetchReleasesHeldOnStop(t *testing.T) {
	q := newQueue(t)
	release := make(chan struct{})
	var handled []string
	var mu sync.Mutex
	h := func(ctx context.Context, d *Delivery) error {
		if d.Event.Subject() == "first" {
			<-release
		}
		mu.Lock()
		handled = append(handled, d.Event.Subject())
		mu.Unlock()
		return nil
	}
	r, err := New(q.sub, h, Config{Concurrency: 1, Prefetch: 1, Drain: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	q.send(t, "first")
	q.send(t, "second")
	stop := run(t, r)
	q.waitInFlight(t, 2)
	// The runner is not receiving now (it holds all it may), so what this
	// receives is the held message, handed back when the runner stops;
	// then the running handler may finish.
	again := make(chan string, 1)
	go func() {
		defer close(release)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m, err := q.sub.Receive(ctx)
		if err != nil {
			again <- err.Error()
			return
		}
		m.Ack()
		again <- fmt.Sprint(m.Metadata["ce-subject"], " delivery ", deliveries(m))
	}()
	stop()
	if got := <-again; got != "second delivery 2" {
		t.Fatalf("after the stop, received %q, want the held message, second delivery 2, well before its lease ran out", got)
	}
	if len(handled) != 1 || handled[0] != "first" {
		t.Fatalf("handled %v, want only the first", handled)
	}
}

func deliveries(m *pubsub.Message) int {
	n, _ := jetstream.DeliveryCount(m)
	return n
}

package runner

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

func setup(t *testing.T) (*pubsub.Topic, *pubsub.Subscription) {
	t.Helper()
	topic := mempubsub.NewTopic()
	sub := mempubsub.NewSubscription(topic, time.Minute)
	t.Cleanup(func() {
		ctx := context.Background()
		_ = sub.Shutdown(ctx)
		_ = topic.Shutdown(ctx)
	})
	return topic, sub
}

func send(t *testing.T, topic *pubsub.Topic, task string) {
	t.Helper()
	e, err := events.New(events.SourceEdit, time.Now(), events.TaskStarted{Job: "j", Task: task, Owner: "o", Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Send(context.Background(), topic, e); err != nil {
		t.Fatal(err)
	}
}

// run starts the runner and returns a function that stops it and waits.
func run(t *testing.T, r *Runner) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name  string
		err   func(calls int) error // the handler's result on its n-th call
		calls int                   // calls expected
		stats Stats
	}{
		{"success acks", func(int) error { return nil }, 1, Stats{Acked: 1}},
		{"transient nacks and is redelivered", func(n int) error {
			if n < 3 {
				return fault.New(fault.Transient, "bucket down")
			}
			return nil
		}, 3, Stats{Acked: 1, Nacked: 2}},
		{"unclassified errors are retried", func(n int) error {
			if n == 1 {
				return errors.New("connection reset")
			}
			return nil
		}, 2, Stats{Acked: 1, Nacked: 1}},
		{"invalid event is rejected once", func(int) error { return fault.New(fault.InvalidArgument, "malformed") }, 1, Stats{Rejected: 1}},
		{"panic is retried", func(n int) error {
			if n == 1 {
				panic("libvips exploded")
			}
			return nil
		}, 2, Stats{Acked: 1, Nacked: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic, sub := setup(t)
			var mu sync.Mutex
			calls := 0
			finished := make(chan struct{})
			h := func(ctx context.Context, e cloudevents.Event) error {
				mu.Lock()
				calls++
				n := calls
				mu.Unlock()
				if n == tt.calls {
					defer close(finished)
				}
				return tt.err(n)
			}
			r, err := New(sub, Call(h), Config{Middleware: []Middleware{Recover(nil)}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			stop := run(t, r)
			send(t, topic, "t1")
			select {
			case <-finished:
			case <-time.After(10 * time.Second):
				t.Fatalf("handler called %d times, want %d", calls, tt.calls)
			}
			stop()
			if got := r.Stats(); got != tt.stats {
				t.Errorf("stats %+v, want %+v", got, tt.stats)
			}
		})
	}
}

func TestNotACloudEventIsRejected(t *testing.T) {
	topic, sub := setup(t)
	r, _ := New(sub, Call(func(_ context.Context, e cloudevents.Event) error {
		if e.Subject() != "after" {
			t.Errorf("handler called for %v", e)
		}
		return nil
	}), Config{}, nil)
	if err := topic.Send(context.Background(), &pubsub.Message{Body: []byte("garbage")}); err != nil {
		t.Fatal(err)
	}
	send(t, topic, "after")
	stop := run(t, r)
	deadline := time.Now().Add(10 * time.Second)
	for r.Stats() != (Stats{Rejected: 1, Acked: 1}) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	if got := r.Stats(); got != (Stats{Rejected: 1, Acked: 1}) {
		t.Errorf("stats %+v, want the garbage rejected and the event after it handled", got)
	}
}

func TestAttemptFromDeliveryCount(t *testing.T) {
	topic, sub := setup(t)
	got := make(chan int, 1)
	r, _ := New(sub, Call(func(ctx context.Context, e cloudevents.Event) error {
		got <- events.AttemptFrom(ctx)
		return nil
	}), Config{Broker: Broker{DeliveryCount: func(*pubsub.Message) (int, bool) { return 4, true }}}, nil)
	stop := run(t, r)
	defer stop()
	send(t, topic, "t")
	if n := <-got; n != 4 {
		t.Errorf("attempt %d, want 4", n)
	}
}

func TestDrainFinishesWorkInHand(t *testing.T) {
	topic, sub := setup(t)
	started, release := make(chan struct{}), make(chan struct{})
	r, _ := New(sub, Call(func(ctx context.Context, e cloudevents.Event) error {
		close(started)
		<-release
		return ctx.Err()
	}), Config{Drain: time.Minute}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	send(t, topic, "t")
	<-started
	cancel() // SIGTERM: stop receiving, finish the task in hand
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := r.Stats(); got != (Stats{Acked: 1}) {
		t.Errorf("stats %+v, want the task finished and acked", got)
	}
}

func TestDrainDeadlineReleases(t *testing.T) {
	topic, sub := setup(t)
	started := make(chan struct{})
	r, _ := New(sub, Call(func(ctx context.Context, e cloudevents.Event) error {
		close(started)
		<-ctx.Done() // a task longer than the drain deadline
		return ctx.Err()
	}), Config{Drain: time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	send(t, topic, "t")
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := r.Stats(); got != (Stats{Nacked: 1}) {
		t.Errorf("stats %+v, want the unfinished task released", got)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{Concurrency: -1}, {Drain: -time.Second}} {
		if _, err := New(nil, nil, cfg, nil); err == nil {
			t.Errorf("New accepted %+v", cfg)
		}
	}
}

package jetstream

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gocloud.dev/gcerrors"
)

func TestDeliveryCountRisesOnNack(t *testing.T) {
	q := newQueue(t)
	s := q.subscription(t, SubscriptionOptions{})
	q.publish(t, "photo 1")

	for want := 1; want <= 3; want++ {
		m := receive(t, s, 5*time.Second)
		if got := deliveryCount(t, m); got != want {
			t.Fatalf("delivery %d: DeliveryCount = %d", want, got)
		}
		if want < 3 {
			m.Nack()
		} else {
			m.Ack()
		}
	}
}

// TestRedeliveryAfterAckWait leaves a message un-acked and waits for the
// server to deliver it again once its lease has run out.
func TestRedeliveryAfterAckWait(t *testing.T) {
	const ackWait = time.Second
	q := newQueue(t)
	s := q.subscription(t, SubscriptionOptions{AckWait: ackWait})
	q.publish(t, "photo 1")

	first := receive(t, s, 5*time.Second)
	leased := time.Now()
	again := receive(t, s, 10*ackWait)
	waited := time.Since(leased)
	again.Ack()
	first.Ack() // the same stream message: acking it twice is harmless

	if string(again.Body) != "photo 1" || deliveryCount(t, again) != 2 {
		t.Errorf("redelivered %q, delivery %d; want %q, delivery 2", again.Body, deliveryCount(t, again), "photo 1")
	}
	// The lease, not something else, must have brought it back. The server
	// checks leases on a timer, so allow a little early.
	if waited < ackWait*9/10 {
		t.Errorf("redelivered after %s, before the %s ack wait", waited, ackWait)
	}
}

// TestMaxBatchOneDoesNotHoard checks that a subscriber with max_batch 1 that
// works on one message holds only that message: another subscriber on the
// same consumer gets all the others meanwhile.
func TestMaxBatchOneDoesNotHoard(t *testing.T) {
	q := newQueue(t)
	slow := q.subscription(t, SubscriptionOptions{MaxBatch: 1})
	other := q.subscription(t, SubscriptionOptions{MaxBatch: 1})
	q.publish(t, "p0", "p1", "p2", "p3", "p4", "p5")

	// A few quick messages first: with batches allowed to grow, gocloud
	// would now start fetching ahead.
	for range 2 {
		receive(t, slow, 5*time.Second).Ack()
	}
	held := receive(t, slow, 5*time.Second)

	// Once the acks above have landed, the slow subscriber holds one
	// message: the one it is working on.
	eventually(t, 5*time.Second, "slow subscriber holds only its message", func() (bool, string) {
		b := q.backlog(t, "workers")
		return b.InFlight == 1 && b.Pending == 3, fmt.Sprintf("%+v", b)
	})

	got := map[string]bool{}
	for range 3 {
		m := receive(t, other, 5*time.Second)
		got[string(m.Body)] = true
		m.Ack()
	}
	if got[string(held.Body)] || len(got) != 3 {
		t.Errorf("other subscriber got %v while the slow one held %q; want the 3 others", got, held.Body)
	}
	held.Ack()
	eventually(t, 5*time.Second, "queue drained", func() (bool, string) {
		b := q.backlog(t, "workers")
		return b == Backlog{}, fmt.Sprintf("%+v", b)
	})
}

// TestExtendLease keeps a message leased past its ack wait.
func TestExtendLease(t *testing.T) {
	const ackWait = time.Second
	q := newQueue(t)
	worker := q.subscription(t, SubscriptionOptions{AckWait: ackWait})
	other := q.subscription(t, SubscriptionOptions{AckWait: ackWait})
	q.publish(t, "long edit")

	m := receive(t, worker, 5*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 5*ackWait/2)
	defer cancel()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(ackWait / 4)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				if err := ExtendLease(m); err != nil {
					t.Errorf("ExtendLease: %v", err)
				}
			case <-stop:
				return
			}
		}
	}()
	if stolen, err := other.Receive(ctx); err == nil {
		stolen.Ack()
		t.Fatalf("message delivered again (delivery %d) while its lease was being extended", deliveryCount(t, stolen))
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	m.Ack()
}

func TestNackWithDelay(t *testing.T) {
	const delay = time.Second
	q := newQueue(t)
	s := q.subscription(t, SubscriptionOptions{})
	q.publish(t, "retry later")

	m := receive(t, s, 5*time.Second)
	if err := NackWithDelay(m, delay); err != nil {
		t.Fatal(err)
	}
	nacked := time.Now()
	again := receive(t, s, 10*delay)
	waited := time.Since(nacked)
	again.Ack()
	if deliveryCount(t, again) != 2 {
		t.Errorf("delivery %d, want 2", deliveryCount(t, again))
	}
	if waited < delay*9/10 {
		t.Errorf("delivered again after %s, before the %s delay", waited, delay)
	}
}

// TestShutdownReleasesHeld checks that a message a subscription still held
// when it shut down is delivered again at once, not after its ack wait.
func TestShutdownReleasesHeld(t *testing.T) {
	q := newQueue(t)
	first := q.subscription(t, SubscriptionOptions{AckWait: time.Minute})
	q.publish(t, "photo 1")

	m := receive(t, first, 5*time.Second)
	if err := first.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	m.Ack() // too late to reach the server; settles m for gocloud
	second := q.subscription(t, SubscriptionOptions{AckWait: time.Minute})
	again := receive(t, second, 5*time.Second)
	again.Ack()
	if string(again.Body) != string(m.Body) || deliveryCount(t, again) != 2 {
		t.Errorf("got %q delivery %d, want %q delivery 2", again.Body, deliveryCount(t, again), m.Body)
	}
}

// TestAbandonedFetchIsReleased cancels a ReceiveBatch while its pull request
// is still open on the server. A message the server then delivers to that
// request is nacked at once, not left to its ack wait.
func TestAbandonedFetchIsReleased(t *testing.T) {
	q := newQueue(t)
	ds, err := openSubscription(t.Context(), q.js, q.subject, SubscriptionOptions{Consumer: "workers", AckWait: time.Minute, FetchWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := ds.ReceiveBatch(ctx, 1)
		done <- err
	}()
	eventually(t, 5*time.Second, "pull request waiting", func() (bool, string) {
		b := q.backlog(t, "workers")
		return b.Waiting == 1, fmt.Sprintf("%+v", b)
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("ReceiveBatch after cancel: %v, want context.Canceled", err)
	}

	q.publish(t, "photo 1")
	s := q.subscription(t, SubscriptionOptions{AckWait: time.Minute})
	m := receive(t, s, 5*time.Second)
	m.Ack()
	if n := deliveryCount(t, m); n != 2 {
		t.Errorf("delivery %d, want 2: the abandoned pull request should have had it first", n)
	}
}

// TestConsumerDeleted checks that a subscription whose consumer is deleted
// under it reports NotFound instead of retrying forever.
func TestConsumerDeleted(t *testing.T) {
	q := newQueue(t)
	s := q.subscription(t, SubscriptionOptions{})
	q.publish(t, "p0")
	receive(t, s, 5*time.Second).Ack()
	// Let the ack land first: one that reaches the consumer as it is being
	// deleted goes unanswered and waits out its timeout.
	eventually(t, 5*time.Second, "ack landed", func() (bool, string) {
		b := q.backlog(t, "workers")
		return b.InFlight == 0, fmt.Sprintf("%+v", b)
	})
	if err := q.js.DeleteConsumer(t.Context(), q.stream, "workers"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := s.Receive(ctx)
	if ctx.Err() != nil || gcerrors.Code(err) != gcerrors.NotFound {
		t.Errorf("receive from a deleted consumer: %v (code %v), want NotFound", err, gcerrors.Code(err))
	}
}

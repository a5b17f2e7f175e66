package jetstream

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/gcerrors"
	"gocloud.dev/pubsub"
)

func TestEnsureStream(t *testing.T) {
	srv := startServer(t)
	_, js := connect(t, srv)
	ctx := t.Context()

	s, err := EnsureStream(ctx, js, "REQUESTS", []string{"pixmill.requests"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if cfg.Retention != natsjs.WorkQueuePolicy || cfg.Storage != natsjs.FileStorage || cfg.Discard != natsjs.DiscardNew {
		t.Errorf("retention %v, storage %v, discard %v; want work queue, file, discard new", cfg.Retention, cfg.Storage, cfg.Discard)
	}

	// Again, with a change: the stream is updated in place.
	s, err = EnsureStream(ctx, js, "REQUESTS", []string{"pixmill.requests"}, &StreamOptions{MaxAge: 24 * time.Hour, MaxBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := s.CachedInfo().Config; cfg.MaxAge != 24*time.Hour || cfg.MaxBytes != 1<<30 {
		t.Errorf("max age %s, max bytes %d after update", cfg.MaxAge, cfg.MaxBytes)
	}

	s, err = EnsureStream(ctx, js, "EVENTS", []string{"pixmill.events"}, &StreamOptions{Fanout: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Retention; got != natsjs.LimitsPolicy {
		t.Errorf("fan-out stream has retention %v, want limits", got)
	}
}

// TestStreamFull checks that a full queue refuses new work with a code the
// caller can act on, instead of dropping queued work.
func TestStreamFull(t *testing.T) {
	srv := startServer(t)
	_, js := connect(t, srv)
	if _, err := EnsureStream(t.Context(), js, "TINY", []string{"tiny"}, &StreamOptions{MaxBytes: 1024}); err != nil {
		t.Fatal(err)
	}
	top, err := OpenTopic(js, "tiny", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Shutdown(context.Background())
	body := make([]byte, 300)
	var sendErr error
	for range 10 {
		if sendErr = top.Send(t.Context(), &pubsub.Message{Body: body}); sendErr != nil {
			break
		}
	}
	if code := gcerrors.Code(sendErr); code != gcerrors.ResourceExhausted {
		t.Errorf("send to a full stream: %v (code %v), want ResourceExhausted", sendErr, code)
	}
}

func TestBacklog(t *testing.T) {
	q := newQueue(t)
	s := q.subscription(t, SubscriptionOptions{})
	q.publish(t, "p0", "p1", "p2")
	m := receive(t, s, 5*time.Second)

	want := Backlog{Pending: 2, InFlight: 1}
	if diff := cmp.Diff(want, q.backlog(t, "workers")); diff != "" {
		t.Errorf("ConsumerBacklog (-want +got):\n%s", diff)
	}
	got, err := SubscriptionBacklog(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SubscriptionBacklog (-want +got):\n%s", diff)
	}
	m.Ack()

	if _, err := ConsumerBacklog(t.Context(), q.js, q.subject, "nobody"); !errors.Is(err, natsjs.ErrConsumerNotFound) {
		t.Errorf("backlog of a missing consumer: %v, want %v", err, natsjs.ErrConsumerNotFound)
	}
}

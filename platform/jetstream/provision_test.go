package jetstream

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/gcerrors"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/platform/embedded/embeddedtest"
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

// TestAnchorKeepsBlock: a work queue drained after every message makes the
// file store replace its write block each time (a new N.blk file); an
// anchored one keeps writing the same block. The anchor is stored once,
// however often the stream is ensured, and is in no consumer's backlog.
func TestAnchorKeepsBlock(t *testing.T) {
	dir := t.TempDir()
	_, js := embeddedtest.Start(t, dir)
	var err error
	ctx := t.Context()
	const cycles = 30
	for _, c := range []struct {
		stream string
		anchor bool
	}{{"PLAIN", false}, {"ANCHORED", true}} {
		subject := "q." + strings.ToLower(c.stream)
		var s natsjs.Stream
		for range 2 {
			if s, err = EnsureStream(ctx, js, c.stream, []string{subject}, &StreamOptions{Anchor: c.anchor}); err != nil {
				t.Fatal(err)
			}
		}
		cons, err := s.CreateOrUpdateConsumer(ctx, natsjs.ConsumerConfig{Durable: "w", FilterSubject: subject, AckPolicy: natsjs.AckExplicitPolicy})
		if err != nil {
			t.Fatal(err)
		}
		for i := range cycles {
			if _, err := js.Publish(ctx, subject, []byte(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
			batch, err := cons.Fetch(1, natsjs.FetchMaxWait(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			for m := range batch.Messages() {
				if err := m.DoubleAck(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ci, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantMsgs := uint64(0)
		if c.anchor {
			wantMsgs = 1
		}
		if info.State.Msgs != wantMsgs || ci.NumPending != 0 || ci.NumAckPending != 0 {
			t.Errorf("%s: %d messages stored, %d pending, %d unacked; want %d, 0, 0", c.stream, info.State.Msgs, ci.NumPending, ci.NumAckPending, wantMsgs)
		}
		blocks, _ := filepath.Glob(filepath.Join(dir, "jetstream", "*", "streams", c.stream, "msgs", "*.blk"))
		last := 0
		for _, b := range blocks {
			n, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(b), ".blk"))
			last = max(last, n)
		}
		switch {
		case len(blocks) == 0:
			t.Errorf("%s: no block files under %s", c.stream, dir)
		case c.anchor && last != 1:
			t.Errorf("anchored: block %d.blk after %d drained messages, want still 1.blk", last, cycles)
		case !c.anchor && last < cycles/2:
			t.Errorf("plain: block %d.blk after %d drained messages; the store no longer replaces its block when emptied, and the anchor may not be needed", last, cycles)
		}
		t.Logf("%s: %d messages left, write block %d.blk", c.stream, info.State.Msgs, last)
	}
}

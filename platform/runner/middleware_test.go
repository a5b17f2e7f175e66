package runner

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

func TestBackoffDelay(t *testing.T) {
	p := BackoffPolicy{Base: time.Second, Max: 30 * time.Second}
	tests := []struct {
		attempt int
		rand    float64
		want    time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.999999, time.Second - time.Microsecond/2},
		{2, 0.5, 1500 * time.Millisecond},
		{3, 1, 4 * time.Second},
		{6, 0, 15 * time.Second}, // 32s capped at 30s, half of it jitter
		{60, 0, 15 * time.Second},
	}
	for _, tt := range tests {
		p.Rand = func() float64 { return tt.rand }
		if got := p.Delay(tt.attempt); (got - tt.want).Abs() > time.Microsecond {
			t.Errorf("Delay(%d) with rand %v = %s, want %s", tt.attempt, tt.rand, got, tt.want)
		}
	}
}

func TestBackoffMarksOnlyRetryable(t *testing.T) {
	mw := Backoff(BackoffPolicy{Base: time.Second, Max: time.Minute, Rand: func() float64 { return 0 }})
	for _, tt := range []struct {
		err   error
		delay time.Duration
	}{
		{fault.New(fault.Transient, "down"), 2 * time.Second},
		{fault.New(fault.InvalidArgument, "bad"), 0},
		{nil, 0},
	} {
		err := mw(func(context.Context, *Delivery) error { return tt.err })(context.Background(), &Delivery{Attempt: 3})
		if d, _ := RetryDelay(err); d != tt.delay || !errors.Is(err, tt.err) {
			t.Errorf("%v: delay %s err %v, want %s", tt.err, d, err, tt.delay)
		}
	}
}

func TestRecover(t *testing.T) {
	err := Recover(nil)(func(context.Context, *Delivery) error { panic("boom") })(context.Background(), &Delivery{})
	if !fault.Retryable(err) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("got %v, want a retryable error naming the panic", err)
	}
}

func TestTimeout(t *testing.T) {
	err := Timeout(time.Millisecond)(func(ctx context.Context, _ *Delivery) error {
		<-ctx.Done()
		return ctx.Err()
	})(context.Background(), &Delivery{})
	if !fault.Retryable(err) || !strings.Contains(err.Error(), "longer than 1ms") {
		t.Errorf("got %v", err)
	}
	if err := Timeout(time.Hour)(func(context.Context, *Delivery) error { return nil })(context.Background(), &Delivery{}); err != nil {
		t.Errorf("fast handler: %v", err)
	}
}

func TestKeepLease(t *testing.T) {
	var beats atomic.Int32
	enough := make(chan struct{})
	extend := func(*pubsub.Message) error {
		if beats.Add(1) == 3 {
			close(enough)
		}
		return nil
	}
	h := KeepLease(extend, time.Millisecond, nil)(func(ctx context.Context, _ *Delivery) error {
		<-enough // the edit runs for three beats
		return nil
	})
	if err := h(context.Background(), &Delivery{Msg: &pubsub.Message{}}); err != nil {
		t.Fatal(err)
	}
	if n := beats.Load(); n < 3 {
		t.Fatalf("%d beats", n)
	}
}

// dlRig is a dead-letter wrapper with in-memory topics.
type dlRig struct {
	dl, responses *pubsub.Topic
	dlSub, rSub   *pubsub.Subscription
	mw            Middleware
}

func newDLRig(t *testing.T) *dlRig {
	t.Helper()
	dl, dlSub := setup(t)
	responses, rSub := setup(t)
	return &dlRig{dl: dl, responses: responses, dlSub: dlSub, rSub: rSub,
		mw: DeadLetter(DeadLetterConfig{MaxAttempts: 3, Topic: dl, Responses: responses}, nil)}
}

func requestDelivery(t *testing.T, attempt int) *Delivery {
	t.Helper()
	e, err := events.New(events.SourceGateway, time.Now(), events.TaskRequested{Job: "j", Task: "t", Owner: "o", Image: "i", Original: "originals/i",
		Ops: []json.RawMessage{json.RawMessage(`{"op":"brightness","factor":2}`)}, Output: events.Output{Key: "results/j/t.jpg"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := events.ToMessage(e)
	if err != nil {
		t.Fatal(err)
	}
	return &Delivery{Msg: m, Event: e, Attempt: attempt}
}

func receive(t *testing.T, sub *pubsub.Subscription) *pubsub.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := sub.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Ack()
	return m
}

func TestDeadLetter(t *testing.T) {
	transient := fault.New(fault.Transient, "bucket unreachable")
	tests := []struct {
		name     string
		attempt  int
		err      error
		calls    int32
		parked   bool
		attempts string
		reason   string
	}{
		{"success", 1, nil, 1, false, "", ""},
		{"transient before the last attempt", 2, transient, 1, false, "", ""},
		{"transient on the last attempt", 3, transient, 1, true, "3", "gave up after 3 attempts: bucket unreachable"},
		{"crashed every time", 4, nil, 0, true, "3", "stopped before finishing each time"},
		{"invalid event", 1, fault.New(fault.InvalidArgument, "malformed"), 1, true, "1", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newDLRig(t)
			var calls atomic.Int32
			h := r.mw(func(context.Context, *Delivery) error { calls.Add(1); return tt.err })
			err := h(context.Background(), requestDelivery(t, tt.attempt))
			if calls.Load() != tt.calls {
				t.Errorf("handler called %d times, want %d", calls.Load(), tt.calls)
			}
			if !tt.parked {
				if !errors.Is(err, tt.err) {
					t.Errorf("err %v, want %v passed through", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parked request returned %v, want nil (ack)", err)
			}
			m := receive(t, r.dlSub)
			if m.Metadata["ce-"+events.ExtDeadLetterAttempts] != tt.attempts || !strings.Contains(m.Metadata["ce-"+events.ExtDeadLetterReason], tt.reason) || m.Metadata["ce-type"] != events.TypeTaskRequested {
				t.Errorf("dead-letter metadata %v", m.Metadata)
			}
			ev, err := events.FromMessage(receive(t, r.rSub))
			if err != nil {
				t.Fatal(err)
			}
			var failed events.TaskFailed
			if err := events.Decode(ev, &failed); err != nil || !failed.DeadLettered || !strings.Contains(failed.Reason, tt.reason) || failed.Task != "t" {
				t.Errorf("owner told %+v (%v)", failed, err)
			}
		})
	}
}

func TestDeadLetterNeverDrops(t *testing.T) {
	r := newDLRig(t)
	_ = r.dl.Shutdown(context.Background()) // the dead-letter topic is down
	err := r.mw(func(context.Context, *Delivery) error { return nil })(context.Background(), requestDelivery(t, 9))
	if !fault.Retryable(err) {
		t.Errorf("err %v, want retryable so the message is nacked", err)
	}
}

func TestDeadLetterNotACloudEvent(t *testing.T) {
	r := newDLRig(t)
	d := &Delivery{Msg: &pubsub.Message{Body: []byte("garbage")}, DecodeErr: errors.New("no ce-id"), Attempt: 1}
	h := r.mw(Call(func(context.Context, cloudevents.Event) error { t.Error("function called"); return nil }))
	if err := h(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, r.dlSub); string(m.Body) != "garbage" || m.Metadata["ce-"+events.ExtDeadLetterKind] != "invalid_argument" {
		t.Errorf("parked %q %v", m.Body, m.Metadata)
	}
}

package runner

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pixmill/pixmill/events/fault"
)

type recordingObserver struct {
	mu     sync.Mutex
	events []string
}

func (o *recordingObserver) Begin(d *Delivery) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, "begin")
}

func (o *recordingObserver) End(d *Delivery, err error, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if took <= 0 {
		o.events = append(o.events, "no time taken")
	}
	o.events = append(o.events, Outcome(err))
}

func TestObserve(t *testing.T) {
	a, b := &recordingObserver{}, &recordingObserver{}
	mw := Observe(a, b)
	for _, err := range []error{nil, fault.New(fault.Transient, "down"), errors.New("reset"), fault.New(fault.InvalidArgument, "bad")} {
		got := mw(func(context.Context, *Delivery) error { time.Sleep(time.Microsecond); return err })(context.Background(), &Delivery{Attempt: 1})
		if got != err {
			t.Errorf("Observe changed the error: %v, want %v", got, err)
		}
	}
	want := []string{"begin", "acked", "begin", "nacked", "begin", "nacked", "begin", "rejected"}
	for _, o := range []*recordingObserver{a, b} {
		if diff := cmp.Diff(want, o.events); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

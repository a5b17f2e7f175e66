package autoscaler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeClock lets the test decide when each wait of the scaler ends: After
// hands the requested duration to the test and returns a channel the test
// fires after moving the time on.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan time.Duration
	fire  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: t0, waits: make(chan time.Duration), fire: make(chan time.Time)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waits <- d
	return c.fire
}

// advance ends the scaler's current wait after d.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	c.fire <- now
}

type fakeSignal struct {
	mu  sync.Mutex
	b   Backlog
	err error
}

func (s *fakeSignal) set(b Backlog, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b, s.err = b, err
}

func (s *fakeSignal) Backlog(context.Context) (Backlog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b, s.err
}

type fakeFleet struct {
	mu      sync.Mutex
	size    int
	resizes []int
}

func (f *fakeFleet) Size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.size
}

func (f *fakeFleet) Resize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.size = n
	f.resizes = append(f.resizes, n)
}

func TestScaler(t *testing.T) {
	cfg := testConfig(func(c *Config) { c.MaxScale = 4; c.ScaleToZeroGracePeriod = 3 * time.Second })
	clock, sig, fleet := newFakeClock(), &fakeSignal{}, &fakeFleet{}
	var decisions []int
	s, err := NewScaler(cfg, ScalerDeps{Signal: sig, Fleet: fleet, Clock: clock, OnDecision: func(_ Observation, d Decision) { decisions = append(decisions, d.Desired) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	steps := []struct {
		name     string
		backlog  Backlog
		err      error
		wantWait time.Duration // the wait the scaler asks for after its look
	}{
		{"idle at zero: look again soon", Backlog{}, nil, cfg.ActivationPoll},
		{"still idle", Backlog{}, nil, cfg.ActivationPoll},
		{"a burst: activate, then look every tick", Backlog{Waiting: 300}, nil, cfg.Tick},
		{"the queue cannot be read: keep the fleet", Backlog{}, errors.New("broker down"), cfg.Tick},
		{"working", Backlog{Waiting: 100, InFlight: 4}, nil, cfg.Tick},
		{"done, 1s after work was last seen", Backlog{}, nil, cfg.Tick},
		{"idle 2s", Backlog{}, nil, cfg.Tick},
		{"idle 3s: zero, and look often again", Backlog{}, nil, cfg.ActivationPoll},
	}
	// The first look happens before any wait.
	sig.set(steps[0].backlog, steps[0].err)
	for i, st := range steps {
		if got := <-clock.waits; got != st.wantWait {
			t.Fatalf("step %d (%s): waits %s, want %s", i, st.name, got, st.wantWait)
		}
		if i+1 < len(steps) {
			next := steps[i+1]
			sig.set(next.backlog, next.err)
			clock.advance(st.wantWait)
		}
	}
	cancel() // the scaler is in its last wait
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{4, 0}, fleet.resizes); diff != "" {
		t.Errorf("resizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0, 0, 4, 4, 4, 4, 0}, decisions); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}

func TestOutstanding(t *testing.T) {
	o := NewOutstanding()
	for _, task := range []string{"a", "b", "c", "d"} {
		o.Sent(task)
	}
	o.Sent("a")     // a request sent twice is one task
	o.Started("a")  //
	o.Started("a")  // a duplicated task.started
	o.Started("b")  //
	o.Started("x")  // sent by another process: in flight from now on
	o.Finished("b") //
	o.Finished("b") // a duplicated task.completed
	got, _ := o.Backlog(context.Background())
	want := Backlog{Waiting: 2, InFlight: 2, Completed: 2} // c, d waiting; a, x in flight
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, task := range []string{"a", "c", "d", "x"} {
		o.Finished(task)
	}
	if got, _ := o.Backlog(context.Background()); got != (Backlog{Completed: 6}) {
		t.Errorf("after every task finished: %+v", got)
	}
}

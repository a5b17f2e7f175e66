package gateway

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestPictureBudget: a slot rests after each picture in proportion to its
// work, so that the pictures' share of a slot is what was configured; a
// caller that cannot get a slot in time is told the previews are busy.
func TestPictureBudget(t *testing.T) {
	cases := []struct {
		cpus     float64
		slots    int
		restEach time.Duration // after 100ms of work
	}{
		{0.2, 1, 400 * time.Millisecond},
		{0.5, 1, 100 * time.Millisecond},
		{1, 1, 0},
	}
	for _, c := range cases {
		now := time.Unix(0, 0)
		var mu sync.Mutex
		var rests []time.Duration
		var release []func()
		b := newPictureBudget(c.cpus, func() time.Time { return now })
		b.after = func(d time.Duration, f func()) {
			mu.Lock()
			defer mu.Unlock()
			rests = append(rests, d)
			release = append(release, f)
		}
		if cap(b.slots) != c.slots {
			t.Errorf("%g CPUs: %d slots, want %d", c.cpus, cap(b.slots), c.slots)
		}
		err := b.do(context.Background(), time.Second, true, func() error { now = now.Add(100 * time.Millisecond); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if c.restEach == 0 {
			if len(rests) != 0 || len(b.slots) != 0 {
				t.Errorf("%g CPUs: rested %v, want the slot free at once", c.cpus, rests)
			}
			continue
		}
		if len(rests) != 1 || rests[0] != c.restEach {
			t.Errorf("%g CPUs: rests %v after 100ms of work, want %v", c.cpus, rests, c.restEach)
		}
		// While the only slot rests, another picture waits, then is busy.
		err = b.do(context.Background(), 20*time.Millisecond, true, func() error { t.Error("made a picture in a resting slot"); return nil })
		if !errors.Is(err, errPreviewBusy) {
			t.Errorf("%g CPUs: %v, want busy", c.cpus, err)
		}
		release[0]()
		if err := b.do(context.Background(), 20*time.Millisecond, true, func() error { return nil }); err != nil {
			t.Errorf("%g CPUs: after the rest: %v", c.cpus, err)
		}
	}
}

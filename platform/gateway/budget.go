package gateway

import (
	"context"
	"math"
	"runtime"
	"time"
)

// pictureBudget bounds the CPU the gateway spends making pictures (the
// previews of results and live previews), so that people editing cannot
// slow the batch workers, which share the machine under pixmill up: the
// pictures take a share of the machine's CPUs, Config.PreviewCPU, and no
// more. Each picture holds one of a few slots while it is made and for a
// rest after it, in proportion to the time it took (wall time, which is at
// least the CPU time it used): a slot that may use a share d of a CPU rests
// (1/d − 1) times its work. An idle gateway still answers one preview at
// full speed; many at once queue, and wait at most a few seconds.
type pictureBudget struct {
	slots chan struct{}
	rest  float64 // rest per unit of work
	now   func() time.Time
	after func(time.Duration, func())
}

// newPictureBudget shares cpus CPUs (a fraction allowed) among at most
// half the process's CPUs' worth of slots.
func newPictureBudget(cpus float64, now func() time.Time) *pictureBudget {
	n := max(1, min(runtime.GOMAXPROCS(0)/2, int(math.Ceil(cpus))))
	duty := min(1, cpus/float64(n))
	return &pictureBudget{
		slots: make(chan struct{}, n),
		rest:  1/duty - 1,
		now:   now,
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) },
	}
}

// do runs make in a slot, waiting at most wait for one, and returns
// errPreviewBusy when none came free. The slot rests after make returns,
// unless rest is false: for work done once per picture (its proxy), which
// a person would otherwise wait on for several rests.
func (b *pictureBudget) do(ctx context.Context, wait time.Duration, rest bool, make func() error) error {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	select {
	case b.slots <- struct{}{}:
	case <-wctx.Done():
		if err := ctx.Err(); err != nil {
			return err
		}
		return errPreviewBusy
	}
	start := b.now()
	defer func() {
		d := time.Duration(float64(b.now().Sub(start)) * b.rest)
		if !rest || d <= 0 {
			<-b.slots
			return
		}
		b.after(d, func() { <-b.slots })
	}()
	return make()
}

// Package autoscaler decides how many workers should pull requests from the
// queue, and keeps a fleet at that number.
//
// The decision follows Knative Serving's autoscaler, with a queue's backlog
// in place of HTTP concurrency. The load is what wants a worker now: the
// requests waiting in the queue plus those in flight (handed to a worker, not
// yet acknowledged). It is averaged over two windows of one type at two
// lengths, a stable window (60s by default) and a panic window (a tenth of
// it), and
//
//	desired = ceil(average load / target per replica)
//
// from the stable window, bounded per decision by a scale-up rate and a
// scale-down rate, held up for a scale-down delay so that a wavering load
// does not stop and start workers, and bounded by MinScale and MaxScale.
// When the panic window alone asks for at least twice the replicas running
// (the panic threshold), the decision follows the panic window instead and
// does not scale down until the load has stayed under the threshold for a
// whole stable window.
//
// Three rules are about zero. A fleet at zero is activated by the first
// request waiting, at once, without waiting for an average. A fleet goes to
// zero only after ScaleToZeroGracePeriod with nothing waiting and nothing in
// flight, and then all the way, whatever the windows and the down rate say
// (panic included: nothing is left to protect). Until then it keeps at
// least one replica. And a scale-up is skipped when the replicas running
// would, at their recent completion rate, finish all the load before a new
// worker could start (Config.WorkerStartup).
//
// The decision is a function of the observations recorded, the Config and
// the time passed to Decide: nothing in it reads a clock or sleeps. Scaler
// is the loop around it that reads a Signal, decides, and resizes a Fleet.
package autoscaler

import (
	"fmt"
	"math"
	"time"
)

// Observation is what the autoscaler sees of the queue and the fleet at one
// moment.
type Observation struct {
	Time time.Time
	// Waiting requests are queued and not yet handed to a worker.
	Waiting int
	// InFlight requests are in a worker's hands, or waiting out the lease
	// of a worker that died.
	InFlight int
	// Completed is a running total of finished tasks, from which the
	// completion rate is worked out; a source that cannot count them
	// leaves it 0, and the rate is then unknown.
	Completed uint64
	// Replicas is the number of workers the fleet runs now, those draining
	// after a scale-down left out.
	Replicas int
}

// Load is what wants a worker: waiting plus in flight.
func (o Observation) Load() int { return o.Waiting + o.InFlight }

// Decision is the desired number of replicas and what it was made from.
type Decision struct {
	Desired int
	// Panic is true while panic mode holds the replicas up.
	Panic bool
	// StableLoad and PanicLoad are the window averages of the load.
	StableLoad, PanicLoad float64
	// Rate is the recent completion rate in tasks per second (0: unknown).
	Rate float64
	// Reason says which rule decided, for logs.
	Reason string
}

// Autoscaler holds the observation windows and the panic state. It is not
// safe for concurrent use; Scaler calls it from one goroutine.
type Autoscaler struct {
	cfg Config

	stable, panic         window // load
	stableRate, panicRate window // completions per second

	last Observation
	seen bool
	// lastBusy is the time of the latest observation with any load, or
	// of the first observation: the grace period starts with the
	// autoscaler.
	lastBusy time.Time

	panicking bool
	lastOver  time.Time // when the load was last over the panic threshold
	panicMax  int       // the most replicas decided in this panic

	recent []held // decisions within ScaleDownDelay, oldest first
}

type held struct {
	at time.Time
	n  int
}

// New returns an autoscaler with no observations, or the config's errors.
func New(cfg Config) (*Autoscaler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Autoscaler{
		cfg:        cfg,
		stable:     newWindow(cfg.StableWindow),
		panic:      newWindow(cfg.PanicWindow()),
		stableRate: newWindow(cfg.StableWindow),
		panicRate:  newWindow(cfg.PanicWindow()),
	}, nil
}

// Record adds an observation to the windows.
func (a *Autoscaler) Record(o Observation) {
	load := float64(o.Load())
	a.stable.record(o.Time, load)
	a.panic.record(o.Time, load)
	if a.seen && o.Time.After(a.last.Time) && o.Completed >= a.last.Completed {
		// A running total, so a missed read loses nothing: 30 more
		// completions over 2s is a rate of 15/s whether read once or
		// twenty times in between.
		r := float64(o.Completed-a.last.Completed) / o.Time.Sub(a.last.Time).Seconds()
		a.stableRate.record(o.Time, r)
		a.panicRate.record(o.Time, r)
	}
	if o.Load() > 0 || !a.seen {
		a.lastBusy = o.Time
	}
	a.last, a.seen = o, true
}

// Scale records o and decides at o's time.
func (a *Autoscaler) Scale(o Observation) Decision {
	a.Record(o)
	return a.Decide(o.Time)
}

// Decide returns the desired replicas at now, from the observations recorded
// so far; the replicas running are those of the latest observation.
func (a *Autoscaler) Decide(now time.Time) Decision {
	cfg := a.cfg
	if !a.seen {
		return Decision{Desired: cfg.MinScale, Reason: "no observation yet"}
	}
	cur := a.last.Replicas
	stableLoad, _ := a.stable.average(now)
	panicLoad, _ := a.panic.average(now)
	d := Decision{StableLoad: stableLoad, PanicLoad: panicLoad}

	// Panic: the short window asks for twice what runs. With target 1 and
	// 2 replicas, a panic-window load of 4 or more is a panic; a fleet at
	// zero counts as one replica, so a burst of 2 panics it.
	threshold := cfg.PanicThresholdPercentage / 100
	if panicLoad/cfg.Target >= threshold*float64(max(1, cur)) {
		if !a.panicking {
			a.panicking, a.panicMax = true, 0
		}
		a.lastOver = now
	} else if a.panicking && now.Sub(a.lastOver) >= cfg.StableWindow {
		a.panicking = false
	}

	desired := ceilDiv(stableLoad, cfg.Target)
	d.Reason = fmt.Sprintf("stable window load %.2f", stableLoad)
	rate, _ := a.panicRate.average(now)
	if a.panicking {
		// Never down while panicking: not below what runs, nor below
		// the most this panic has asked for.
		desired = max(ceilDiv(panicLoad, cfg.Target), desired, cur, a.panicMax)
		d.Reason = fmt.Sprintf("panic: panic window load %.2f", panicLoad)
	}
	d.Rate = rate

	// Activation: a request waiting at zero starts a worker now.
	if cur == 0 && a.last.Load() > 0 && desired < 1 {
		desired = 1
		d.Reason = "activation"
	}

	// A new worker needs WorkerStartup before it takes anything: at 20
	// tasks/s, 5 tasks left are done in 0.25s, before a worker that
	// starts in 1s could help.
	if desired > cur && cur > 0 && rate > 0 {
		if drain := float64(a.last.Load()) / rate; drain < cfg.WorkerStartup.Seconds() {
			desired = cur
			d.Reason = fmt.Sprintf("the %d running finish the load in %.2fs, before a new worker starts", cur, drain)
		}
	}

	// Rates: from 4 replicas, up to ceil(4·1000) and down to floor(4/2)=2
	// in one decision; from 0, up as if from 1.
	if up := int(math.Ceil(cfg.MaxScaleUpRate * float64(max(1, cur)))); desired > up {
		desired = up
		d.Reason += fmt.Sprintf(", bounded by the scale-up rate to %d", up)
	}
	if down := int(math.Floor(float64(cur) / cfg.MaxScaleDownRate)); !a.panicking && desired < down {
		desired = down
		d.Reason += fmt.Sprintf(", bounded by the scale-down rate to %d", down)
	}

	// Scale-down delay: with 10s, a wish for 2 after 3 is granted once no
	// decision in the last 10s asked for more than 2.
	if cfg.ScaleDownDelay > 0 {
		i := 0
		for i < len(a.recent) && !a.recent[i].at.After(now.Add(-cfg.ScaleDownDelay)) {
			i++
		}
		a.recent = append(a.recent[:0], a.recent[i:]...)
		a.recent = append(a.recent, held{now, desired})
		hold := 0
		for _, h := range a.recent {
			hold = max(hold, h.n)
		}
		if hold > desired {
			desired = hold
			d.Reason += fmt.Sprintf(", held at %d for the scale-down delay", hold)
		}
	}

	idle := a.last.Load() == 0
	idleFor := now.Sub(a.lastBusy)
	switch {
	case idle && idleFor >= cfg.ScaleToZeroGracePeriod:
		desired = 0
		a.panicking = false
		// What came before a whole grace period of nothing says little
		// about the next burst: a lone request after a 300-task batch
		// should start one worker, not as many as the batch had.
		a.stable.reset()
		a.panic.reset()
		a.recent = a.recent[:0]
		d.Reason = fmt.Sprintf("nothing waiting or in flight for %s", cfg.ScaleToZeroGracePeriod)
	case desired < 1 && cur > 0:
		// The windows may average to nothing before the grace period
		// is over; the last replica stays until it is.
		desired = 1
		d.Reason = "waiting out the scale-to-zero grace period"
	}

	if desired > cfg.MaxScale {
		desired = cfg.MaxScale
		d.Reason += fmt.Sprintf(", at the maximum %d", cfg.MaxScale)
	}
	if desired < cfg.MinScale {
		desired = cfg.MinScale
		d.Reason += fmt.Sprintf(", at the minimum %d", cfg.MinScale)
	}
	if a.panicking {
		a.panicMax = max(a.panicMax, desired)
	}
	d.Desired, d.Panic = desired, a.panicking
	return d
}

// ceilDiv is ceil(load/target) as a replica count; a load so small that
// rounding noise made it positive (1e-12) is no load.
func ceilDiv(load, target float64) int {
	return int(math.Ceil(load/target - 1e-9))
}

package autoscaler

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Fleet is what a Scaler resizes (platform/fleet.Fleet).
type Fleet interface {
	// Size is the number of replicas the fleet keeps now, those draining
	// after a scale-down left out.
	Size() int
	// Resize sets the number of replicas to keep.
	Resize(n int)
}

// Clock is the Scaler's time, injected so that tests drive it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// ScalerDeps are what a Scaler reads and drives.
type ScalerDeps struct {
	Signal Signal
	Fleet  Fleet
	// Clock defaults to the wall clock.
	Clock Clock
	// OnDecision, if set, is called after every decision (for metrics).
	OnDecision func(Observation, Decision)
	Log        *slog.Logger
}

// Scaler is the loop around the decision: it reads the signal every
// Config.Tick (every Config.ActivationPoll while the fleet is at zero),
// decides, and resizes the fleet when the decision differs from its size.
type Scaler struct {
	a    *Autoscaler
	deps ScalerDeps
}

// NewScaler returns a scaler, or the config's errors.
func NewScaler(cfg Config, deps ScalerDeps) (*Scaler, error) {
	if deps.Signal == nil || deps.Fleet == nil {
		return nil, errors.New("autoscaler: a signal and a fleet are required")
	}
	a, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if deps.Clock == nil {
		deps.Clock = realClock{}
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	return &Scaler{a: a, deps: deps}, nil
}

// Run scales until ctx ends. While the signal cannot be read the fleet is
// left as it is: no decision is made on what cannot be seen.
func (s *Scaler) Run(ctx context.Context) error {
	failing := false
	for {
		wait, err := s.step(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			s.deps.Log.Warn("cannot read the queue's backlog; the fleet keeps its size until it can", "err", err)
			failing = true
		case err == nil && failing:
			s.deps.Log.Info("reading the queue's backlog again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.deps.Clock.After(wait):
		}
	}
}

// step makes one decision and returns the time until the next.
func (s *Scaler) step(ctx context.Context) (time.Duration, error) {
	cfg := s.a.cfg
	rctx, cancel := context.WithTimeout(ctx, max(cfg.Tick, time.Second))
	b, err := s.deps.Signal.Backlog(rctx)
	cancel()
	if err != nil {
		return cfg.Tick, err
	}
	o := Observation{Time: s.deps.Clock.Now(), Waiting: b.Waiting, InFlight: b.InFlight, Completed: b.Completed, Replicas: s.deps.Fleet.Size()}
	d := s.a.Scale(o)
	if d.Desired != o.Replicas {
		s.deps.Log.Info("scaling the fleet", "from", o.Replicas, "to", d.Desired, "waiting", o.Waiting, "in_flight", o.InFlight, "panic", d.Panic, "why", d.Reason)
		s.deps.Fleet.Resize(d.Desired)
	}
	if s.deps.OnDecision != nil {
		s.deps.OnDecision(o, d)
	}
	if d.Desired == 0 {
		return cfg.ActivationPoll, nil
	}
	return cfg.Tick, nil
}

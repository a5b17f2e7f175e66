package stack

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/platform/runner"
)

// chain says which delivery wrappers a runner gets. build puts them in the
// one order that is right for every runner here (the worker's, the results
// handler's and the dead-letter recorder's), outermost first:
//
//	started     the attempt number from the started records, not the
//	            broker's count alone (the worker's, which prefetches)
//	observe     trace and metrics, so they see the outcome the runner settles
//	deadletter  after the last attempt, park the request and tell its owner
//	            (only with a dead-letter topic)
//	backoff     space the retries of a transient failure
//	lease       keep a long edit's lease while it runs (where the broker can)
//	timeout     bound one attempt (when set)
//	recover     innermost, so that a panic becomes an error that every
//	            wrapper above handles like any other
type chain struct {
	started     func(context.Context, *runner.Delivery, int) (bool, error)
	observe     []runner.Middleware
	deadletter  *pubsub.Topic
	responses   *pubsub.Topic // where deadletter tells the owner; nil: nobody to tell
	maxAttempts int
	broker      runner.Broker
	ackWait     time.Duration // the lease is extended every ackWait/3
	timeout     time.Duration
}

func (c chain) build(log *slog.Logger) []runner.Middleware {
	var mw []runner.Middleware
	if c.started != nil {
		mw = append(mw, runner.CountStarted(runner.StartedConfig{Started: c.started, Lost: c.maxAttempts}, log))
	}
	mw = append(mw, c.observe...)
	if c.deadletter != nil {
		mw = append(mw, runner.DeadLetter(runner.DeadLetterConfig{MaxAttempts: c.maxAttempts, Topic: c.deadletter, Responses: c.responses}, log))
	}
	mw = append(mw, runner.Backoff(runner.BackoffPolicy{Base: time.Second, Max: time.Minute, Rand: rand.Float64}))
	if c.broker.ExtendLease != nil && c.ackWait > 0 {
		mw = append(mw, runner.KeepLease(c.broker.ExtendLease, c.ackWait/3, log))
	}
	if c.timeout > 0 {
		mw = append(mw, runner.Timeout(c.timeout))
	}
	return append(mw, runner.Recover(log))
}

package autoscaler

import (
	"context"
	"sync"
)

// Signal reads the backlog of the queue the workers pull from. Where the
// broker can tell, the backlog comes from the broker itself (platform/stack
// reads a JetStream consumer's pending and ack-pending counts); where it
// cannot, Outstanding keeps it from the platform's own counts.
type Signal interface {
	Backlog(ctx context.Context) (Backlog, error)
}

// Backlog is the load on the queue at one moment.
type Backlog struct {
	// Waiting requests are queued and not yet handed to a worker.
	Waiting int
	// InFlight requests are in a worker's hands, or waiting out the lease
	// of a worker that died.
	InFlight int
	// Completed is a running total of finished tasks (0 if unknown).
	Completed uint64
}

// Outstanding is the fallback Signal: the platform's own account of the
// tasks it sent and has not heard finish. The gateway reports each request
// it queues (Sent); the results handler reports each task that started and
// each that finished (Started, Finished), as the responses say.
//
// It keeps task ids rather than counts, so the duplicates that at-least-once
// delivery brings (a task.completed sent twice by a worker that died before
// its ack) change nothing. What it cannot see are requests queued by anyone
// else — a previous run of the platform, a dead-letter redrive from another
// process — until a worker starts them: with a broker that cannot report its
// backlog, keep at least one worker (min-scale 1) if that happens.
type Outstanding struct {
	mu        sync.Mutex
	tasks     map[string]bool // task id → started
	started   int             // tasks in the map that started
	completed uint64
}

// NewOutstanding returns an empty account.
func NewOutstanding() *Outstanding {
	return &Outstanding{tasks: map[string]bool{}}
}

// Sent records a request queued for task.
func (o *Outstanding) Sent(task string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.tasks[task]; !ok {
		o.tasks[task] = false
	}
}

// Started records that a worker took task. A task the account did not know
// (sent by someone else) is in flight from now on.
func (o *Outstanding) Started(task string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.tasks[task] {
		o.tasks[task] = true
		o.started++
	}
}

// Finished records that task completed or failed for good.
func (o *Outstanding) Finished(task string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if started, ok := o.tasks[task]; ok {
		delete(o.tasks, task)
		if started {
			o.started--
		}
	}
	o.completed++
}

// Completed is the number of finishes recorded.
func (o *Outstanding) Completed() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.completed
}

// Backlog implements Signal.
func (o *Outstanding) Backlog(context.Context) (Backlog, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return Backlog{Waiting: len(o.tasks) - o.started, InFlight: o.started, Completed: o.completed}, nil
}

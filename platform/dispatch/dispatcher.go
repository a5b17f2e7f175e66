package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"gocloud.dev/pubsub"
	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
)

// Deps are a Dispatcher's connections.
type Deps struct {
	Requests *pubsub.Topic
	Store    *records.Store
	// Now is the clock (default time.Now).
	Now func() time.Time
	Log *slog.Logger
	// Sent, if set, is told the task id of each request sent.
	Sent func(task string)
}

// Dispatcher holds jobs' tasks and sends them under the window. Make one
// with New, run it with Run, give it jobs with Submit, tell it of started
// tasks with Started and of ended ones with Release. Safe for concurrent
// use.
type Dispatcher struct {
	cfg  Config
	deps Deps
	wake chan struct{}

	mu       sync.Mutex
	sched    *Scheduler
	jobs     map[string]*run
	inflight map[string]flight
	// waiting counts the flights not known to have started: the tasks
	// that take a slot of the window.
	waiting int
	// finished are jobs sent and ended whose cursor is to be removed.
	finished []*run
	// unwritten counts the tasks sent since the cursors were last written
	// (pump's goroutine only); they are written once it reaches
	// cursorEvery.
	unwritten, cursorEvery int
}

// run is a job being dispatched.
type run struct {
	job records.Job
	// originals are the bucket keys of the tasks' pictures; nil for a
	// job resumed after a restart, whose image records are read as sent.
	originals []string
	// written is how many tasks the stored cursor covers, sent how many
	// have been sent (pump's goroutine only); outstanding how many are
	// in flight.
	written, sent, outstanding int
	// trace is the span the job was submitted in, which its requests
	// carry on as their parent (none for a job resumed after a restart).
	trace trace.SpanContext
}

// flight is a task sent and not known to have ended.
type flight struct {
	run  *run
	sent time.Time
	// started is whether a worker is known to have taken the task: then
	// it no longer waits in the queue, and frees its slot.
	started bool
}

// New returns a Dispatcher, or an error naming the first invalid setting.
func New(cfg Config, deps Deps) (*Dispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Requests == nil || deps.Store == nil {
		return nil, errors.New("dispatch: a requests topic and a records store are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Sent == nil {
		deps.Sent = func(string) {}
	}
	return &Dispatcher{
		cfg: cfg, deps: deps, wake: make(chan struct{}, 1), cursorEvery: max(cfg.Window, minCursorEvery),
		sched: NewScheduler(cfg.weight), jobs: map[string]*run{}, inflight: map[string]flight{},
	}, nil
}

// Submit takes a stored job whose tasks' originals lie at the given keys
// (one per task, in order), and holds its tasks for sending. The job's
// cursor is written before Submit returns, so from then on the job survives
// a crash.
func (d *Dispatcher) Submit(ctx context.Context, j records.Job, originals []string) error {
	if len(originals) != len(j.Tasks) {
		return fault.New(fault.InvalidArgument, "dispatch: job %s has %d tasks and %d originals", j.ID, len(j.Tasks), len(originals))
	}
	if err := d.deps.Store.PutCursor(ctx, records.Cursor{Job: j.ID, Owner: j.Owner, At: d.deps.Now().UTC()}); err != nil {
		return fault.Wrap(fault.Transient, err, "dispatch: holding job %s", j.ID)
	}
	indexes := make([]int, len(j.Tasks))
	for i := range indexes {
		indexes[i] = i
	}
	d.mu.Lock()
	d.jobs[j.ID] = &run{job: j, originals: originals, trace: trace.SpanContextFromContext(ctx)}
	d.sched.Add(j.Owner, j.ID, indexes)
	d.mu.Unlock()
	d.poke()
	return nil
}

// Started frees the slot of task, which a worker has taken: it no longer
// waits in the queue. The task stays in flight until it ends (Release). A
// task not in flight here, or started already (a redelivery), is ignored.
// It does no I/O.
func (d *Dispatcher) Started(task string) {
	d.mu.Lock()
	f, ok := d.inflight[task]
	freed := ok && !f.started
	if freed {
		f.started = true
		d.inflight[task] = f
		d.waiting--
	}
	d.mu.Unlock()
	if freed {
		d.poke()
	}
}

// Release ends task in job: its slot is free if it was still held, and its
// job is done once every task has ended. A task that is not in flight here
// (sent by another replica, or released already) is ignored. It does no
// I/O.
func (d *Dispatcher) Release(job, task string) {
	d.mu.Lock()
	f, ok := d.inflight[task]
	ok = ok && f.run.job.ID == job
	if ok {
		delete(d.inflight, task)
		if !f.started {
			d.waiting--
		}
		f.run.outstanding--
		d.finishLocked(f.run)
	}
	d.mu.Unlock()
	if ok {
		d.poke()
	}
}

// Held is the number of tasks held back by the window: requests the
// autoscaler counts as waiting, though the broker has not seen them yet.
func (d *Dispatcher) Held() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sched.Held()
}

// InFlight is the number of tasks sent and not yet ended.
func (d *Dispatcher) InFlight() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.inflight)
}

// Waiting is the number of tasks sent and not known to have started: the
// slots of the window in use.
func (d *Dispatcher) Waiting() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.waiting
}

func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run resumes the jobs left dispatching by an earlier run, then sends held
// tasks as slots free until ctx ends. An error resuming is returned at once.
func (d *Dispatcher) Run(ctx context.Context) error {
	if err := d.resume(ctx); err != nil {
		return err
	}
	tick := time.NewTicker(d.cfg.Reconcile)
	defer tick.Stop()
	for {
		d.pump(ctx)
		select {
		case <-ctx.Done():
			// Leave the cursors current, so that the next start sends
			// nothing twice.
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
			d.writeCursors(stop, false)
			cancel()
			return nil
		case <-d.wake:
		case <-tick.C:
			d.reconcile(ctx)
			d.writeCursors(ctx, false)
		}
	}
}

// pump sends as many held tasks as there are free slots, then records how
// far each job got.
func (d *Dispatcher) pump(ctx context.Context) {
	for ctx.Err() == nil {
		d.mu.Lock()
		picks := d.sched.Next(d.cfg.Window - d.waiting)
		now := d.deps.Now()
		runs := make([]*run, len(picks))
		for i, p := range picks {
			r := d.jobs[p.Job]
			runs[i] = r
			d.inflight[r.job.Tasks[p.Index].ID] = flight{run: r, sent: now}
			r.outstanding++
			d.waiting++
		}
		d.mu.Unlock()
		if len(picks) == 0 {
			d.removeFinished(ctx)
			return
		}
		var eg errgroup.Group
		eg.SetLimit(parallelSends)
		for i, p := range picks {
			eg.Go(func() error { d.sendRetrying(ctx, runs[i], p.Index); return nil })
		}
		_ = eg.Wait()
		if ctx.Err() != nil {
			return
		}
		d.advance(ctx, picks, runs)
		d.removeFinished(ctx)
	}
}

// parallelSends bounds the sends in flight to the broker at once, so their
// acknowledgements overlap.
const parallelSends = 128

// minCursorEvery is the fewest tasks sent between two writes of the
// cursors: with a small window, a write per window would still be a file
// written for every few tasks.
const minCursorEvery = 32

// advance notes how far each job of picks was sent — each job's tasks are
// picked in order, so its last pick is its new cursor — and writes the
// cursors of the jobs now sent to the end. The others are written once
// cursorEvery tasks (the window, and at least minCursorEvery) have been
// sent since the last write (writeCursors), or at the next reconcile tick:
// one cursor write per window of tasks rather than one per task, at the
// price of sending again, after a crash, what was sent since — harmless,
// a task sent twice has one result.
func (d *Dispatcher) advance(ctx context.Context, picks []Pick, runs []*run) {
	for i, p := range picks {
		r := runs[i]
		r.sent = max(r.sent, p.Index+1)
	}
	d.unwritten += len(picks)
	d.writeCursors(ctx, d.unwritten < d.cursorEvery)
}

// writeCursors writes the cursor of every job sent further than its stored
// cursor covers, or, with ended, only of those sent to the end.
func (d *Dispatcher) writeCursors(ctx context.Context, ended bool) {
	d.mu.Lock()
	var due []*run
	for _, r := range d.jobs {
		if r.sent > r.written && (!ended || r.sent == len(r.job.Tasks)) {
			due = append(due, r)
		}
	}
	d.mu.Unlock()
	if !ended {
		d.unwritten = 0
	}
	for _, r := range due {
		next := r.sent
		c := records.Cursor{Job: r.job.ID, Owner: r.job.Owner, Next: next, At: d.deps.Now().UTC()}
		if err := d.deps.Store.PutCursor(ctx, c); err != nil {
			// Not fatal: a restart sends again what the stored cursor
			// does not cover.
			d.deps.Log.Warn("writing a dispatch cursor", "job", r.job.ID, "err", err)
			continue
		}
		d.mu.Lock()
		r.written = max(r.written, next)
		d.finishLocked(r)
		d.mu.Unlock()
	}
}

// finishLocked moves r to the finished list when every task is sent and
// ended. d.mu is held.
func (d *Dispatcher) finishLocked(r *run) {
	if r.written < len(r.job.Tasks) || r.outstanding > 0 || d.jobs[r.job.ID] != r {
		return
	}
	delete(d.jobs, r.job.ID)
	d.finished = append(d.finished, r)
}

// removeFinished removes the cursors of finished jobs.
func (d *Dispatcher) removeFinished(ctx context.Context) {
	d.mu.Lock()
	done := d.finished
	d.finished = nil
	d.mu.Unlock()
	for _, r := range done {
		if err := d.deps.Store.DeleteCursor(ctx, r.job.Owner, r.job.ID); err != nil {
			// Harmless: the next start finds every task ended and
			// removes it then.
			d.deps.Log.Warn("removing a dispatch cursor", "job", r.job.ID, "err", err)
		}
	}
}

// sendTimeout bounds one attempt at a send: a broker that neither takes
// nor refuses a request (a connection lost mid-publish) must not hold the
// dispatcher for good.
const sendTimeout = 30 * time.Second

// sendRetrying sends the request of r's task at index, trying again with
// backoff while the broker refuses, until ctx ends.
func (d *Dispatcher) sendRetrying(ctx context.Context, r *run, index int) {
	wait := 100 * time.Millisecond
	for {
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		err := d.send(sctx, r, index)
		cancel()
		if err == nil {
			d.deps.Sent(r.job.Tasks[index].ID)
			return
		}
		if ctx.Err() != nil {
			return
		}
		d.deps.Log.Warn("sending a task request; trying again", "job", r.job.ID, "task", r.job.Tasks[index].ID, "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (d *Dispatcher) send(ctx context.Context, r *run, index int) error {
	j, t := r.job, r.job.Tasks[index]
	var original string
	if r.originals != nil {
		original = r.originals[index]
	} else {
		img, err := d.deps.Store.Image(ctx, j.Owner, t.Image)
		if err != nil {
			return err
		}
		original = img.Key
	}
	if r.trace.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, r.trace)
	}
	e, err := events.New(events.SourceGateway, d.deps.Now(), events.TaskRequested{
		Job: j.ID, Task: t.ID, Owner: j.Owner, Image: t.Image,
		Original: original, Ops: j.Ops, Output: t.Output, Inputs: j.Inputs,
	})
	if err != nil {
		return err
	}
	return events.Send(ctx, d.deps.Requests, e)
}

// reconcile reads the state of each task in flight for longer than the
// reconcile interval: one listing a task. Those that ended are released,
// those that started free their slot.
func (d *Dispatcher) reconcile(ctx context.Context) {
	type look struct{ job, task string }
	var looks []look
	d.mu.Lock()
	old := d.deps.Now().Add(-d.cfg.Reconcile)
	for task, f := range d.inflight {
		if f.sent.Before(old) {
			looks = append(looks, look{f.run.job.ID, task})
		}
	}
	d.mu.Unlock()
	var eg errgroup.Group
	eg.SetLimit(16)
	for _, l := range looks {
		eg.Go(func() error {
			st, err := d.deps.Store.TaskState(ctx, l.job, l.task)
			if err != nil {
				d.deps.Log.Warn("reading a task in flight", "job", l.job, "task", l.task, "err", err)
				return nil
			}
			switch {
			case st.Final():
				d.Release(l.job, l.task)
			case st != records.Queued:
				d.Started(l.task)
			}
			return nil
		})
	}
	_ = eg.Wait()
}

// resume picks up the jobs an earlier run left dispatching.
func (d *Dispatcher) resume(ctx context.Context) error {
	cursors, err := d.deps.Store.Cursors(ctx)
	if err != nil {
		return fault.Wrap(fault.Transient, err, "dispatch: reading the jobs to resume")
	}
	resumed := 0
	for _, c := range cursors {
		d.mu.Lock()
		_, known := d.jobs[c.Job]
		d.mu.Unlock()
		if known {
			continue
		}
		j, err := d.deps.Store.Job(ctx, c.Owner, c.Job)
		if fault.KindOf(err) == fault.NotFound {
			// The job is gone (erased): nothing to send.
			if err := d.deps.Store.DeleteCursor(ctx, c.Owner, c.Job); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fault.Wrap(fault.Transient, err, "dispatch: resuming job %s", c.Job)
		}
		ended, err := d.deps.Store.EndedTasks(ctx, j.ID)
		if err != nil {
			return fault.Wrap(fault.Transient, err, "dispatch: resuming job %s", c.Job)
		}
		r := &run{job: j, written: c.Next, sent: c.Next}
		var held []int
		now := d.deps.Now()
		d.mu.Lock()
		if _, known := d.jobs[j.ID]; known {
			// Submitted while this was being read.
			d.mu.Unlock()
			continue
		}
		for i, t := range j.Tasks {
			switch {
			case ended[t.ID]:
			case i < c.Next:
				// Whether it started is read back by the first
				// reconcile; until then it holds a slot.
				d.inflight[t.ID] = flight{run: r, sent: now}
				r.outstanding++
				d.waiting++
			default:
				held = append(held, i)
			}
		}
		if len(held) == 0 {
			r.written, r.sent = len(j.Tasks), len(j.Tasks)
		}
		d.jobs[j.ID] = r
		d.sched.Add(j.Owner, j.ID, held)
		d.finishLocked(r)
		d.mu.Unlock()
		resumed++
	}
	if resumed > 0 {
		d.deps.Log.Info("resumed dispatching", "jobs", resumed, "in_flight", d.InFlight(), "held", d.Held())
	}
	return nil
}

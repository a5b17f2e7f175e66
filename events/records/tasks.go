package records

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"
)

// started is the content of a started-{attempt} record.
type started struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
}

// succeeded is the content of a succeeded record.
type succeeded struct {
	Attempt int           `json:"attempt"`
	Result  events.Result `json:"result"`
	At      time.Time     `json:"at"`
}

// failed is the content of a failed record.
type failed struct {
	Attempt      int       `json:"attempt"`
	Kind         string    `json:"kind"`
	Reason       string    `json:"reason"`
	DeadLettered bool      `json:"dead_lettered,omitempty"`
	At           time.Time `json:"at"`
}

// MarkStarted records that attempt e.Attempt of a task began at at.
func (s *Store) MarkStarted(ctx context.Context, e events.TaskStarted, at time.Time) error {
	return s.putTask(ctx, e.Job, e.Task, "started-"+strconv.Itoa(e.Attempt), started{Attempt: e.Attempt, At: at.UTC()})
}

// MarkCompleted records a task's result.
func (s *Store) MarkCompleted(ctx context.Context, e events.TaskCompleted, at time.Time) error {
	if err := s.putTask(ctx, e.Job, e.Task, "succeeded", succeeded{Attempt: e.Attempt, Result: e.Result, At: at.UTC()}); err != nil {
		return err
	}
	s.taskEnded(e.Job, e.Task)
	return nil
}

// MarkFailed records that a task ended without a result.
func (s *Store) MarkFailed(ctx context.Context, e events.TaskFailed, at time.Time) error {
	if err := s.putTask(ctx, e.Job, e.Task, "failed", failed{Attempt: e.Attempt, Kind: e.Kind, Reason: e.Reason, DeadLettered: e.DeadLettered, At: at.UTC()}); err != nil {
		return err
	}
	s.taskEnded(e.Job, e.Task)
	return nil
}

func (s *Store) taskEnded(job, task string) {
	for _, f := range s.onEnd {
		f(job, task)
	}
}

// State is the state of a task or a job.
type State string

// Task and job states. Partial is for jobs only: every task ended, some failed.
const (
	Queued    State = "queued"
	Running   State = "running"
	Succeeded State = "succeeded"
	Failed    State = "failed"
	Partial   State = "partial"
)

// Final reports whether no more change is expected.
func (s State) Final() bool { return s == Succeeded || s == Failed || s == Partial }

// TaskStatus is a task's state as derived from its records.
type TaskStatus struct {
	JobTask
	State        State
	Attempts     int
	Error        string
	ErrorKind    string
	DeadLettered bool
	Result       *events.Result
	Updated      time.Time
}

// Tasks derives the status of each task of j, in the job's order: one
// listing of the job's records, plus a read of each ended task's record that
// this Store has not read before. Those reads run in parallel, since each is
// a round trip to the bucket.
func (s *Store) Tasks(ctx context.Context, j Job) ([]TaskStatus, error) {
	_, tasks, err := s.TaskPage(ctx, j, 0, len(j.Tasks))
	return tasks, err
}

// facts lists the records of job j, by task id.
func (s *Store) facts(ctx context.Context, j Job) (map[string][]*blob.ListObject, error) {
	prefix := tasksPrefix(j.ID)
	objs, err := s.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	facts := map[string][]*blob.ListObject{}
	for _, obj := range objs {
		task, _, ok := strings.Cut(strings.TrimPrefix(obj.Key, prefix), "/")
		if ok {
			facts[task] = append(facts[task], obj)
		}
	}
	return facts, nil
}

// derive sets *st to the status of task t from its records objs: at once
// from their names, or, when the task has ended and this Store has not read
// how, in a read started on g.
func (s *Store) derive(g *errgroup.Group, ctx context.Context, t JobTask, objs []*blob.ListObject, st *TaskStatus) {
	var ended *blob.ListObject
	*st, ended = deriveFromNames(t, objs)
	if ended == nil {
		return
	}
	if e, ok := s.ended.get(ended); ok {
		e.apply(st)
		return
	}
	state := st.State
	g.Go(func() error {
		e, err := s.readEnded(ctx, ended, state)
		switch {
		case err == nil:
			e.apply(st)
		case fault.KindOf(err) == fault.NotFound:
			// Gone since the listing: a redrive reset the task.
			*st = TaskStatus{JobTask: t, State: Queued}
			err = nil
		}
		return err
	})
}

// parallelReads bounds the record reads one Tasks or Jobs call has in
// flight.
const parallelReads = 16

// deriveFromNames is what a task's record names alone tell: its state, its
// highest attempt started, and, when it has ended, the record that says how.
func deriveFromNames(t JobTask, objs []*blob.ListObject) (TaskStatus, *blob.ListObject) {
	facts := make([]string, len(objs))
	for i, obj := range objs {
		facts[i] = factOf(obj.Key)
	}
	st := TaskStatus{JobTask: t, State: stateOf(facts)}
	var ended *blob.ListObject
	for i, f := range facts {
		if a, ok := strings.CutPrefix(f, "started-"); ok {
			if n, err := strconv.Atoi(a); err == nil && n > st.Attempts {
				st.Attempts = n
			}
		}
		if f == string(st.State) {
			ended = objs[i]
		}
	}
	return st, ended
}

// factOf is a task record's name without its directory and ".json".
func factOf(key string) string {
	return strings.TrimSuffix(key[strings.LastIndexByte(key, '/')+1:], ".json")
}

// stateOf is the state that a task's facts (record names without ".json")
// add up to: succeeded beats failed beats started beats nothing.
func stateOf(facts []string) State {
	st := Queued
	for _, f := range facts {
		switch {
		case f == "succeeded":
			return Succeeded
		case f == "failed":
			st = Failed
		case strings.HasPrefix(f, "started-") && st == Queued:
			st = Running
		}
	}
	return st
}

// TaskState is the state of one task, from the names of its records alone
// (one listing, no reads): enough to tell whether the task has ended. A task
// with no records is Queued, whether or not its job exists.
func (s *Store) TaskState(ctx context.Context, job, task string) (State, error) {
	prefix := tasksPrefix(job) + task + "/"
	keys, err := s.keys(ctx, prefix)
	if err != nil {
		return "", err
	}
	facts := make([]string, len(keys))
	for i, key := range keys {
		facts[i] = factOf(key)
	}
	return stateOf(facts), nil
}

// Result reads a task's result: one read, where Tasks lists the whole job.
// A task that has not succeeded is a fault.NotFound.
func (s *Store) Result(ctx context.Context, job, task string) (events.Result, error) {
	var r succeeded
	if err := s.get(ctx, taskKey(job, task, "succeeded"), &r); err != nil {
		return events.Result{}, err
	}
	return r.Result, nil
}

// JobState sums up task states: queued until a task starts, running until
// every task has ended, then succeeded, failed or partial.
func JobState(tasks []TaskStatus) State { return JobStateOf(Counts(tasks), len(tasks)) }

// JobStateOf is JobState from the tally of a job's total tasks by state,
// for a reader that keeps the tally up to date as tasks change.
func JobStateOf(counts map[State]int, total int) State {
	ok, bad := counts[Succeeded], counts[Failed]
	switch {
	case total == 0:
		return Succeeded
	case ok == total:
		return Succeeded
	case bad == total:
		return Failed
	case ok+bad == total:
		return Partial
	case counts[Queued] == total:
		return Queued
	default:
		return Running
	}
}

// Counts tallies tasks by state.
func Counts(tasks []TaskStatus) map[State]int {
	c := map[State]int{}
	for _, t := range tasks {
		c[t.State]++
	}
	return c
}

// ResetTask forgets a task's attempts and failure, before it is sent again
// with a fresh attempt count. A success is kept: it cannot be undone.
func (s *Store) ResetTask(ctx context.Context, job, task string) error {
	keys, err := s.keys(ctx, tasksPrefix(job)+task+"/")
	if err != nil {
		return err
	}
	for _, key := range keys {
		if strings.HasSuffix(key, "/succeeded.json") {
			continue
		}
		if err := s.remove(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

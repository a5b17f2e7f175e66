// Package results is the results function: it consumes the response events
// (task.started, task.completed, task.failed) and keeps the per-task records
// that the gateway answers from.
//
// A response of a job deleted, or of an owner erased, before or while it is
// recorded leaves nothing behind: once its record is written the function
// asks whether the job is still wanted (records.Store.Deleted), and if not
// removes the task's records and the result the response names. Asking
// after the write suffices: the deletion writes its tombstone before it
// lists what to remove, so one of the two sees the other's work.
//
// It is stateless and idempotent: every event writes one record named by the
// fact it reports (see package records), so a duplicated or re-ordered
// delivery changes nothing. Any number of instances may run.
//
// # Errors
//
// An event that is not one of pixmill's response events, or whose data does
// not follow the contract, is a fault.InvalidArgument: retrying it cannot
// help. Storage failures are fault.Transient and the event should be
// redelivered.
package results

import (
	"context"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
)

// Function handles response events.
type Function struct {
	Store *records.Store
	// Stored, if set, is told the owner and size of each result recorded,
	// for the owner's quota of stored bytes. A duplicated delivery tells
	// it twice; the quota's periodic recount corrects that.
	Stored func(owner string, bytes int64)
}

// Handle records what e reports.
func (f *Function) Handle(ctx context.Context, e cloudevents.Event) error {
	switch e.Type() {
	case events.TypeTaskStarted:
		var d events.TaskStarted
		if err := events.Decode(e, &d); err != nil {
			return fault.Wrap(fault.InvalidArgument, err, "results: the response event is malformed")
		}
		return f.kept(ctx, d.Owner, d.Job, d.Task, e, "", f.Store.MarkStarted(ctx, d, e.Time()))
	case events.TypeTaskCompleted:
		var d events.TaskCompleted
		if err := events.Decode(e, &d); err != nil {
			return fault.Wrap(fault.InvalidArgument, err, "results: the response event is malformed")
		}
		err := f.Store.MarkCompleted(ctx, d, e.Time())
		if err == nil && f.Stored != nil {
			f.Stored(d.Owner, d.Result.Bytes)
		}
		return f.kept(ctx, d.Owner, d.Job, d.Task, e, d.Result.Key, err)
	case events.TypeTaskFailed:
		var d events.TaskFailed
		if err := events.Decode(e, &d); err != nil {
			return fault.Wrap(fault.InvalidArgument, err, "results: the response event is malformed")
		}
		return f.kept(ctx, d.Owner, d.Job, d.Task, e, "", f.Store.MarkFailed(ctx, d, e.Time()))
	default:
		return fault.New(fault.InvalidArgument, "results: event type %q is not a response event", e.Type())
	}
}

// kept follows the writing of a task's record, which ended with err: when
// the task's job has been deleted meanwhile it removes the task's records
// and the result at output (when the response names one in the owner's
// storage).
func (f *Function) kept(ctx context.Context, owner, job, task string, e cloudevents.Event, output string, err error) error {
	if err != nil {
		return err
	}
	gone, err := f.Store.Deleted(ctx, owner, job, e.Time())
	if err != nil || !gone {
		return err
	}
	if output != "" && records.OwnsKey(owner, output) {
		if err := f.Store.Remove(ctx, output); err != nil {
			return err
		}
	}
	return f.Store.ForgetTask(ctx, job, task)
}

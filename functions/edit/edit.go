// Package edit is the edit function: for each task.requested event it reads
// the original picture from the bucket, applies the task's ops, stores the
// result under the task's output key and publishes task.completed — or
// task.failed with a reason the owner can read.
//
// That a task started is recorded by the function itself, in the task's
// records (events/records), before the picture is read: one small write
// beside the result, where a task.started event would cost
// the broker a publish, a delivery, an acknowledgement and a removal, and
// the results function a read and a write, for every picture. The record
// is what the job's status shows as "running", with its attempt.
//
// A task of a job its owner deleted, or of an owner erased since it was
// requested, writes nothing: the function asks the records before it
// starts (records.Store.Deleted), and again once it has written, removing
// what it wrote if the job was deleted meanwhile; such a task is
// acknowledged without a response.
//
// It keeps no state between events. The output key comes from the request, so
// a request delivered twice writes the same object and publishes an
// equivalent completion; the results function absorbs the duplicate.
//
// # Errors and retries
//
// Handle returns nil when the task is finished, successfully or not: a
// permanent failure (unreadable picture, an op that does not fit it, a limit)
// is reported to the owner with task.failed and must not be retried. It
// returns a fault.Transient error when storage or the responses topic failed,
// so the delivery layer retries the request; a fault.InvalidArgument error
// when the event itself is malformed (there is nobody to tell, so the
// delivery layer dead-letters it); and context errors unchanged.
//
// # Owners
//
// A task reads and writes only inside its owner's storage
// (records.OwnsKey): a request whose original, output or other picture lies
// elsewhere fails at once, as a permanent task.failed its owner is told of,
// before anything is read.
package edit

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging"
)

// Function edits pictures.
type Function struct {
	Bucket    *blob.Bucket
	Responses *pubsub.Topic
	// Now is the clock that stamps response events and records.
	Now func() time.Time

	storeOnce sync.Once
	store     *records.Store
}

// records is the store of task records in f.Bucket.
func (f *Function) records() *records.Store {
	f.storeOnce.Do(func() { f.store = records.NewStore(f.Bucket) })
	return f.store
}

// Handle processes one task.requested event.
func (f *Function) Handle(ctx context.Context, e cloudevents.Event) error {
	var req events.TaskRequested
	if err := events.Decode(e, &req); err != nil {
		return fault.Wrap(fault.InvalidArgument, err, "edit: the request event is malformed")
	}
	attempt := events.AttemptFrom(ctx)
	if gone, err := f.records().Deleted(ctx, req.Owner, req.Job, e.Time()); err != nil || gone {
		return err
	}
	// The start is recorded before the work, so that an attempt that kills
	// its worker (a picture that crashes libvips) still counts as one.
	if err := f.records().MarkStarted(ctx, events.TaskStarted{Job: req.Job, Task: req.Task, Owner: req.Owner, Attempt: attempt}, f.Now()); err != nil {
		return err
	}
	res, err := f.process(ctx, req)
	if err != nil {
		if ctx.Err() != nil || fault.Retryable(err) {
			return err
		}
		if gone, err := f.forget(ctx, req, e.Time(), ""); err != nil || gone {
			return err
		}
		return f.emit(ctx, events.TaskFailed{
			Job: req.Job, Task: req.Task, Owner: req.Owner, Attempt: attempt,
			Kind: string(fault.KindOf(err)), Reason: fault.Message(err),
		})
	}
	if gone, err := f.forget(ctx, req, e.Time(), res.Key); err != nil || gone {
		return err
	}
	return f.emit(ctx, events.TaskCompleted{Job: req.Job, Task: req.Task, Owner: req.Owner, Attempt: attempt, Result: res})
}

func (f *Function) process(ctx context.Context, req events.TaskRequested) (events.Result, error) {
	if err := confined(req); err != nil {
		return events.Result{}, err
	}
	ops := make([]imaging.Op, len(req.Ops))
	for i, raw := range req.Ops {
		op, err := imaging.Parse(raw)
		if err != nil {
			return events.Result{}, err
		}
		ops[i] = op
	}
	if err := f.provide(ctx, req, ops); err != nil {
		return events.Result{}, err
	}
	src, err := f.Bucket.ReadAll(ctx, req.Original)
	if err != nil {
		return events.Result{}, gone(fault.Storage(err, "reading the original picture failed"), "the original picture is no longer stored")
	}
	out, err := imaging.Process(ctx, src, ops, imaging.Output{Format: req.Output.Format, Quality: req.Output.Quality, Strip: req.Output.Metadata != events.MetadataKeep})
	if err != nil {
		return events.Result{}, err
	}
	if err := f.Bucket.WriteAll(ctx, req.Output.Key, out.Bytes, &blob.WriterOptions{ContentType: out.ContentType}); err != nil {
		return events.Result{}, fault.Storage(err, "storing the result failed")
	}
	return events.Result{
		Key: req.Output.Key, Format: out.Format, ContentType: out.ContentType,
		Width: out.Width, Height: out.Height, Bytes: int64(len(out.Bytes)),
	}, nil
}

// forget reports whether the task's job was deleted, or its owner erased,
// while it ran, and if so removes what it wrote: its records, and the
// result at output if it made one. The deletion, whose listing may have
// run before these writes, leaves them to the task.
func (f *Function) forget(ctx context.Context, req events.TaskRequested, sent time.Time, output string) (bool, error) {
	gone, err := f.records().Deleted(ctx, req.Owner, req.Job, sent)
	if err != nil || !gone {
		return false, err
	}
	if output != "" {
		if err := f.records().Remove(ctx, output); err != nil {
			return true, err
		}
	}
	return true, f.records().ForgetTask(ctx, req.Job, req.Task)
}

// confined refuses a task that would read or write outside its owner's
// storage: whoever could put such a task on the queue could otherwise read
// another owner's pictures into a result of their own. Permanent: the keys
// will not change by retrying.
func confined(req events.TaskRequested) error {
	type named struct{ field, key string }
	keys := []named{{"original", req.Original}, {"output key", req.Output.Key}}
	for _, id := range slices.Sorted(maps.Keys(req.Inputs)) {
		keys = append(keys, named{"picture " + id, req.Inputs[id]})
	}
	for _, k := range keys {
		if !records.OwnsKey(req.Owner, k.key) {
			return fault.New(fault.Permanent, "edit: the task's %s lies outside its owner's storage (%s); the task was refused", k.field, strings.Join(records.OwnerPrefixes(req.Owner), ", "))
		}
	}
	return nil
}

// provide reads the other pictures ops need (a watermark's image) and hands
// them over: ops do no I/O themselves.
func (f *Function) provide(ctx context.Context, req events.TaskRequested, ops []imaging.Op) error {
	for _, op := range ops {
		n, ok := op.(imaging.Needer)
		if !ok {
			continue
		}
		for _, id := range n.Needs() {
			key, ok := req.Inputs[id]
			if !ok {
				return fault.New(fault.InvalidArgument, "%s: the picture %s it needs is not part of the request", op.Name(), id)
			}
			data, err := f.Bucket.ReadAll(ctx, key)
			if err != nil {
				return gone(fault.Storage(err, "reading the picture for %s failed", op.Name()), "%s: the picture %s is no longer stored", op.Name(), id)
			}
			if err := n.Provide(id, data); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *Function) emit(ctx context.Context, d events.Data) error {
	e, err := events.New(events.SourceEdit, f.Now(), d)
	if err != nil {
		return fault.Wrap(fault.Permanent, err, "edit: the response event is malformed")
	}
	if err := events.Send(ctx, f.Responses, e); err != nil {
		return fault.Wrap(fault.Transient, err, "publishing %s failed", e.Type())
	}
	return nil
}

// gone turns a NotFound storage error into a Permanent one with its own
// message: a picture the task needs that is no longer stored will not come
// back by retrying. Other errors pass through.
func gone(err error, format string, args ...any) error {
	if fault.KindOf(err) != fault.NotFound {
		return err
	}
	return fault.Wrap(fault.Permanent, errors.Unwrap(err), format, args...)
}

// Package deadletter is the dead-letter function: it consumes the messages
// parked on the dead-letter topic and keeps a record of each (why, how many
// attempts, the message itself), so that `pixmill dlq list` can show them and
// `pixmill dlq redrive` can send them again; it tells the owner of a
// parked request that its task failed, and applies a parked response event
// (task.started, completed or failed) to the task's records, as the results
// function would have.
//
// Messages are parked by pixmill's runner, which says why in the
// ce-pixmilldl* attributes and tells the owner itself, or by a broker's own
// dead-letter mechanism, which tells nobody: Knative's deadLetterSink, a
// Pub/Sub dead-letter policy, a RabbitMQ dead-letter exchange. CauseOf reads
// the reason from whichever attributes are there.
//
// # Guarantees
//
// Recording is idempotent: a message parked twice keeps one record, named
// by its task, by its event id, or, for a message that is neither, by a
// hash of its content. A parked task request whose task has not ended is
// recorded as failed, dead-lettered, with the cause's reason; a task that
// already succeeded or failed (the runner's task.failed came first, or the
// message was parked before) is left as it is, so its owner is told once
// and a success is never undone. What cannot be read as a CloudEvent is
// recorded all the same: a dead letter is never dropped.
//
// # Errors
//
// Storage failures are fault.Transient, and the message should be delivered
// again; nothing else fails.
package deadletter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/results"
)

// Function records parked messages.
type Function struct {
	Store *records.Store
	Now   func() time.Time
}

// HandleMessage records m, then tells the owner of a parked task request.
// It takes the raw message rather than an event because what is parked need
// not be a readable CloudEvent.
func (f *Function) HandleMessage(ctx context.Context, m *pubsub.Message) error {
	cause := CauseOf(m.Metadata)
	md := maps.Clone(m.Metadata)
	for _, k := range parkingAttributes {
		delete(md, k)
	}
	d := records.DeadLetter{
		Key:      md["ce-id"],
		Reason:   cause.Detail,
		Kind:     string(cause.Kind),
		Attempts: cause.Attempts,
		At:       f.Now().UTC(),
		Body:     m.Body,
		Metadata: md,
	}
	var (
		req       events.TaskRequested
		isRequest bool
		response  *cloudevents.Event
	)
	if e, err := events.FromMessage(&pubsub.Message{Body: m.Body, Metadata: md}); err == nil {
		switch e.Type() {
		case events.TypeTaskRequested:
			if events.Decode(e, &req) == nil {
				d.Key, d.Job, d.Task, d.Owner = req.Task, req.Job, req.Task, req.Owner
				isRequest = true
			}
		case events.TypeTaskStarted, events.TypeTaskCompleted, events.TypeTaskFailed:
			response = &e
		}
	}
	if !events.ValidID(d.Key) {
		// Not one of ours: an id from elsewhere could be anything, so the
		// key is built from the content, the same for the same message.
		d.Key = contentKey(m.Body, md)
	}
	if err := f.Store.PutDeadLetter(ctx, d); err != nil {
		return err
	}
	switch {
	case isRequest:
		return f.tell(ctx, req, cause)
	case response != nil:
		return f.apply(ctx, *response)
	}
	return nil
}

// apply records a parked response event, as the results function would
// have: a broker parks one when the results function failed on it every
// time, and without it the task would show its previous state for good.
// Recording facts is idempotent, so a response applied twice changes
// nothing; one that cannot be decoded stays only in the dead-letter record.
func (f *Function) apply(ctx context.Context, e cloudevents.Event) error {
	err := (&results.Function{Store: f.Store}).Handle(ctx, e)
	if fault.KindOf(err) == fault.InvalidArgument {
		return nil
	}
	return err
}

// tell records req's task as failed unless the task has ended: a success
// stands, and a failure already recorded — the runner's own task.failed, or
// this message parked before — tells the same story.
func (f *Function) tell(ctx context.Context, req events.TaskRequested, c Cause) error {
	st, err := f.Store.TaskState(ctx, req.Job, req.Task)
	if err != nil {
		return err
	}
	if st.Final() {
		return nil
	}
	return f.Store.MarkFailed(ctx, events.TaskFailed{
		Job: req.Job, Task: req.Task, Owner: req.Owner, Attempt: c.Attempts,
		Kind: string(c.Kind), Reason: c.Reason, DeadLettered: true,
	}, f.Now())
}

// contentKey names a message by a hash of its body and metadata: safe as
// an object name, and the same each time the same message is parked.
func contentKey(body []byte, md map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(md)) {
		fmt.Fprintf(h, "%q=%q\n", k, md[k])
	}
	h.Write(body)
	return "msg-" + hex.EncodeToString(h.Sum(nil))[:32]
}

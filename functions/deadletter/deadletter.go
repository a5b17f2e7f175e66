// Package deadletter is the dead-letter function: it consumes the messages
// parked on the dead-letter topic and keeps a record of each (why, how many
// attempts, the message itself), so that `pixmill dlq list` can show them and
// `pixmill dlq redrive` can send them again. Recording is idempotent: a
// message parked twice keeps one record.
package deadletter

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/functions/records"
)

// Function records parked messages.
type Function struct {
	Store *records.Store
	Now   func() time.Time
}

// HandleMessage records m. It takes the raw message rather than an event
// because what is parked need not be a readable CloudEvent.
func (f *Function) HandleMessage(ctx context.Context, m *pubsub.Message) error {
	md := maps.Clone(m.Metadata)
	d := records.DeadLetter{
		Reason: md["ce-"+events.ExtDeadLetterReason],
		Kind:   md["ce-"+events.ExtDeadLetterKind],
		At:     f.Now().UTC(),
		Body:   m.Body,
	}
	d.Attempts, _ = strconv.Atoi(md["ce-"+events.ExtDeadLetterAttempts])
	for _, ext := range []string{events.ExtDeadLetterReason, events.ExtDeadLetterKind, events.ExtDeadLetterAttempts} {
		delete(md, "ce-"+ext)
	}
	d.Metadata = md
	d.Key = md["ce-id"]
	if e, err := events.FromMessage(&pubsub.Message{Body: m.Body, Metadata: md}); err == nil {
		var req events.TaskRequested
		if events.Decode(e, &req) == nil {
			d.Key, d.Job, d.Task, d.Owner = req.Task, req.Job, req.Task, req.Owner
		}
	}
	if !events.ValidID(d.Key) {
		// Not one of ours: key it by its content's place in time, safely.
		d.Key = "msg-" + strings.ToLower(strconv.FormatInt(d.At.UnixNano(), 36))
	}
	return f.Store.PutDeadLetter(ctx, d)
}

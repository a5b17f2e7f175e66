package deadletter

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
)

var (
	t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	// Ids as the gateway makes them: dead letters are named after them.
	job, task = events.NewID(), events.NewID()
)

// parked is a task request for task of job as a broker parked it,
// with the broker's attributes added.
func parked(t *testing.T, brokerAttrs map[string]string) *pubsub.Message {
	t.Helper()
	e, err := events.New(events.SourceGateway, t0, events.TaskRequested{Job: job, Task: task, Owner: "alice", Image: "i", Original: "originals/i",
		Ops: []json.RawMessage{json.RawMessage(`{"op":"brightness","factor":2}`)}, Output: events.Output{Key: "results/" + job + "/" + task + ".png"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := events.ToMessage(e)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range brokerAttrs {
		m.Metadata[k] = v
	}
	return m
}

var pubsubAttrs = map[string]string{
	"CloudPubSubDeadLetterSourceDeliveryCount": "5",
	"CloudPubSubDeadLetterSourceSubscription":  "projects/p/subscriptions/pixmill-requests",
}

func TestParkedRequestFailsItsTask(t *testing.T) {
	const brokerReason = "Pub/Sub gave up after 5 delivery attempts: the processor failed or stopped each time"
	j := records.Job{ID: job, Owner: "alice", Tasks: []records.JobTask{{ID: task}}}
	started := func(ctx context.Context, s *records.Store) error {
		return s.MarkStarted(ctx, events.TaskStarted{Job: job, Task: task, Owner: "alice", Attempt: 3}, t0)
	}
	runnerTold := func(ctx context.Context, s *records.Store) error {
		return s.MarkFailed(ctx, events.TaskFailed{Job: job, Task: task, Owner: "alice", Attempt: 4, Kind: "transient", Reason: "gave up after 4 attempts", DeadLettered: true}, t0)
	}
	succeeded := func(ctx context.Context, s *records.Store) error {
		return s.MarkCompleted(ctx, events.TaskCompleted{Job: job, Task: task, Owner: "alice", Attempt: 2,
			Result: events.Result{Key: "results/" + job + "/" + task + ".png", Format: "png", ContentType: "image/png", Width: 4, Height: 3, Bytes: 10}}, t0)
	}
	tests := []struct {
		name     string
		before   []func(context.Context, *records.Store) error
		messages []*pubsub.Message
		want     records.TaskStatus
	}{
		{
			name:     "queued task",
			messages: []*pubsub.Message{parked(t, pubsubAttrs)},
			want:     records.TaskStatus{State: records.Failed, Attempts: 5, Error: brokerReason, ErrorKind: "transient", DeadLettered: true},
		},
		{
			name:     "running task, the broker does not count",
			before:   []func(context.Context, *records.Store) error{started},
			messages: []*pubsub.Message{parked(t, map[string]string{"ce-knativeerrorcode": "503"})},
			want: records.TaskStatus{State: records.Failed, Attempts: 3, ErrorKind: "transient", DeadLettered: true,
				Error: "Knative gave up delivering the request: the last attempt ended with HTTP 503 (Service Unavailable)"},
		},
		{
			name:     "parked twice",
			messages: []*pubsub.Message{parked(t, pubsubAttrs), parked(t, pubsubAttrs)},
			want:     records.TaskStatus{State: records.Failed, Attempts: 5, Error: brokerReason, ErrorKind: "transient", DeadLettered: true},
		},
		{
			name:     "the runner told the owner first",
			before:   []func(context.Context, *records.Store) error{started, runnerTold},
			messages: []*pubsub.Message{parked(t, pubsubAttrs)},
			want:     records.TaskStatus{State: records.Failed, Attempts: 4, Error: "gave up after 4 attempts", ErrorKind: "transient", DeadLettered: true},
		},
		{
			name:     "the runner parked it",
			messages: []*pubsub.Message{parked(t, map[string]string{"ce-pixmilldlreason": "gave up after 4 attempts", "ce-pixmilldlkind": "transient", "ce-pixmilldlattempts": "4"})},
			want:     records.TaskStatus{State: records.Failed, Attempts: 4, Error: "gave up after 4 attempts", ErrorKind: "transient", DeadLettered: true},
		},
		{
			name:     "the task succeeded",
			before:   []func(context.Context, *records.Store) error{started, succeeded},
			messages: []*pubsub.Message{parked(t, pubsubAttrs)},
			want:     records.TaskStatus{State: records.Succeeded, Attempts: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := records.NewStore(memblob.OpenBucket(nil))
			f := &Function{Store: store, Now: func() time.Time { return t0 }}
			for _, step := range tt.before {
				if err := step(ctx, store); err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range tt.messages {
				if err := f.HandleMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			ts, err := store.Tasks(ctx, j)
			if err != nil {
				t.Fatal(err)
			}
			got := ts[0]
			got.JobTask, got.Result, got.Updated = records.JobTask{}, nil, time.Time{}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("task (-want +got):\n%s", diff)
			}
			dls, err := store.DeadLetters(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(dls) != 1 || dls[0].Key != task || dls[0].Task != task || dls[0].Job != job || dls[0].Owner != "alice" {
				t.Fatalf("dead letters %+v, want one for the task", dls)
			}
			for k := range dls[0].Metadata {
				if strings.HasPrefix(k, "CloudPubSubDeadLetter") || strings.HasPrefix(k, "ce-knativeerror") || strings.HasPrefix(k, "ce-pixmilldl") {
					t.Errorf("the record keeps the parking attribute %s: a redrive would send it", k)
				}
			}
		})
	}
}

func TestDeadLetterRecord(t *testing.T) {
	ctx := context.Background()
	store := records.NewStore(memblob.OpenBucket(nil))
	f := &Function{Store: store, Now: func() time.Time { return t0 }}
	m := parked(t, pubsubAttrs)
	if err := f.HandleMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	dls, err := store.DeadLetters(ctx)
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters %+v, %v", dls, err)
	}
	want := records.DeadLetter{
		Key: task, Job: job, Task: task, Owner: "alice",
		Reason: "Pub/Sub gave up after 5 delivery attempts: the processor failed or stopped each time (subscription projects/p/subscriptions/pixmill-requests)",
		Kind:   "transient", Attempts: 5, At: t0, Body: m.Body,
	}
	got := dls[0]
	got.Metadata = nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	// What is kept is the request as the gateway sent it: it reads back as
	// the same event.
	if _, err := events.FromMessage(&pubsub.Message{Body: dls[0].Body, Metadata: dls[0].Metadata}); err != nil {
		t.Errorf("the recorded message is no longer an event: %v", err)
	}
}

func TestUnreadableMessagesAreKept(t *testing.T) {
	ctx := context.Background()
	store := records.NewStore(memblob.OpenBucket(nil))
	now := t0
	f := &Function{Store: store, Now: func() time.Time { now = now.Add(time.Second); return now }}
	bad := []*pubsub.Message{
		{Body: []byte("\x00garbage")},
		{Body: []byte("garbage"), Metadata: map[string]string{"ce-id": "../../escape", "CloudPubSubDeadLetterSourceDeliveryCount": "7"}},
		// A task request whose data is not one: kept under its event id.
		{Body: []byte(`{"job":"j"}`), Metadata: map[string]string{"ce-specversion": "1.0", "ce-id": events.NewID(), "ce-source": "/x", "ce-type": events.TypeTaskRequested, "content-type": "application/json"}},
	}
	for range 2 { // parked twice: one record each
		for _, m := range bad {
			if err := f.HandleMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	dls, err := store.DeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != len(bad) {
		t.Fatalf("%d records, want %d: %+v", len(dls), len(bad), dls)
	}
	for _, d := range dls {
		if d.Task != "" {
			t.Errorf("record %s names a task", d.Key)
		}
		if !events.ValidID(d.Key) && (!strings.HasPrefix(d.Key, "msg-") || strings.ContainsAny(d.Key, "./")) {
			t.Errorf("key %q is neither an id of ours nor a safe content key", d.Key)
		}
		if d.Reason == "" || d.Kind == "" {
			t.Errorf("record %s: reason %q kind %q", d.Key, d.Reason, d.Kind)
		}
	}
}

func TestStorageFailureIsRetryable(t *testing.T) {
	b := memblob.OpenBucket(nil)
	b.Close()
	f := &Function{Store: records.NewStore(b), Now: func() time.Time { return t0 }}
	if err := f.HandleMessage(context.Background(), parked(t, pubsubAttrs)); !fault.Retryable(err) {
		t.Errorf("err = %v (%s), want a transient error", err, fault.KindOf(err))
	}
}

// TestParkedResponseIsApplied: a response event a broker parked (the
// results function failed on it every time) reaches the task's records,
// once however often it is parked; a running task does not stay running.
func TestParkedResponseIsApplied(t *testing.T) {
	ctx := context.Background()
	store := records.NewStore(memblob.OpenBucket(nil))
	f := &Function{Store: store, Now: func() time.Time { return t0 }}
	j := records.Job{ID: job, Owner: "alice", Tasks: []records.JobTask{{ID: task}}}
	if err := store.MarkStarted(ctx, events.TaskStarted{Job: job, Task: task, Owner: "alice", Attempt: 1}, t0); err != nil {
		t.Fatal(err)
	}
	e, err := events.New(events.SourceEdit, t0, events.TaskCompleted{Job: job, Task: task, Owner: "alice", Attempt: 1,
		Result: events.Result{Key: "results/" + job + "/" + task + ".png", Format: "png", ContentType: "image/png", Width: 4, Height: 3, Bytes: 10}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		m, err := events.ToMessage(e)
		if err != nil {
			t.Fatal(err)
		}
		m.Metadata["ce-knativeerrorcode"] = "503"
		if err := f.HandleMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := store.Tasks(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if ts[0].State != records.Succeeded || ts[0].Result == nil || ts[0].Result.Width != 4 {
		t.Errorf("task %+v, want succeeded with the parked result", ts[0])
	}
	dls, err := store.DeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || dls[0].Key != e.ID() {
		t.Errorf("dead letters %+v, want one, named by the event id", dls)
	}
}

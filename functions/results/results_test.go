package results

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
)

func TestHandleKeepsRecords(t *testing.T) {
	ctx := context.Background()
	store := records.NewStore(memblob.OpenBucket(nil))
	f := &Function{Store: store}
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	mk := func(d events.Data) cloudevents.Event {
		e, err := events.New(events.SourceEdit, at, d)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	job := records.Job{ID: "j", Owner: "o", Tasks: []records.JobTask{{ID: "a"}, {ID: "b"}}}
	res := events.Result{Key: "results/j/a.jpg", Format: "jpeg", ContentType: "image/jpeg", Width: 8, Height: 6, Bytes: 10}
	steps := []cloudevents.Event{
		mk(events.TaskStarted{Job: "j", Task: "a", Owner: "o", Attempt: 1}),
		mk(events.TaskCompleted{Job: "j", Task: "a", Owner: "o", Attempt: 1, Result: res}),
		mk(events.TaskCompleted{Job: "j", Task: "a", Owner: "o", Attempt: 1, Result: res}), // duplicate
		mk(events.TaskStarted{Job: "j", Task: "a", Owner: "o", Attempt: 1}),                // late duplicate
		mk(events.TaskFailed{Job: "j", Task: "b", Owner: "o", Attempt: 1, Kind: "permanent", Reason: "broken"}),
	}
	for _, e := range steps {
		if err := f.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := store.Tasks(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if ts[0].State != records.Succeeded || *ts[0].Result != res || ts[0].Attempts != 1 || !ts[0].Updated.Equal(at) {
		t.Errorf("task a: %+v", ts[0])
	}
	if ts[1].State != records.Failed || ts[1].Error != "broken" {
		t.Errorf("task b: %+v", ts[1])
	}
	if got := records.JobState(ts); got != records.Partial {
		t.Errorf("job state %s, want partial", got)
	}
}

func TestHandleRejectsForeignEvents(t *testing.T) {
	f := &Function{Store: records.NewStore(memblob.OpenBucket(nil))}
	req, err := events.New(events.SourceGateway, time.Now(), events.TaskRequested{Job: "j", Task: "t", Owner: "o", Image: "i", Original: "k",
		Ops: []json.RawMessage{json.RawMessage(`{"op":"brightness","factor":2}`)}, Output: events.Output{Key: "results/j/t.jpg"}})
	if err != nil {
		t.Fatal(err)
	}
	other := cloudevents.NewEvent()
	other.SetID("1")
	other.SetSource("/elsewhere")
	other.SetType("com.example.thing")
	broken := cloudevents.NewEvent()
	broken.SetID("2")
	broken.SetSource("/x")
	broken.SetType(events.TypeTaskCompleted)
	_ = broken.SetData("application/json", map[string]any{"job": "j"})
	for name, e := range map[string]cloudevents.Event{"request": req, "foreign type": other, "bad data": broken} {
		if err := f.Handle(context.Background(), e); fault.KindOf(err) != fault.InvalidArgument {
			t.Errorf("%s: %v, want invalid argument", name, err)
		}
	}
}

// TestResponseOfADeletedJobLeavesNothing: a response that arrives after its
// job was deleted, or its owner erased, has its record and its result
// removed once written: nothing of the job is left.
func TestResponseOfADeletedJobLeavesNothing(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	job := records.Job{ID: "j", Owner: "o", Created: at, Tasks: []records.JobTask{{ID: "a"}}}
	res := events.Result{Key: records.OutputKey("o", "j", "a", ".jpg"), Format: "jpeg", ContentType: "image/jpeg", Width: 8, Height: 6, Bytes: 10}
	for _, c := range []struct {
		name   string
		delete func(ctx context.Context, s *records.Store) error
	}{
		{"job deleted", func(ctx context.Context, s *records.Store) error { return s.DeleteJob(ctx, job, at) }},
		{"owner erased", func(ctx context.Context, s *records.Store) error {
			_, err := s.EraseOwner(ctx, "o", at.Add(time.Minute))
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			bucket := memblob.OpenBucket(nil)
			store := records.NewStore(bucket)
			f := &Function{Store: store}
			if err := c.delete(ctx, store); err != nil {
				t.Fatal(err)
			}
			// The result a worker wrote after the deletion's listing.
			if err := bucket.WriteAll(ctx, res.Key, []byte("jpeg"), nil); err != nil {
				t.Fatal(err)
			}
			for _, d := range []events.Data{
				events.TaskStarted{Job: "j", Task: "a", Owner: "o", Attempt: 1},
				events.TaskCompleted{Job: "j", Task: "a", Owner: "o", Attempt: 1, Result: res},
			} {
				e, err := events.New(events.SourceEdit, at, d)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.Handle(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			if st, err := store.TaskState(ctx, "j", "a"); err != nil || st != records.Queued {
				t.Errorf("the task's records say %s (%v), want none", st, err)
			}
			if ok, err := bucket.Exists(ctx, res.Key); ok || err != nil {
				t.Errorf("the result is still stored (%v)", err)
			}
		})
	}
}

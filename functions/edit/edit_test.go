package edit

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging/imagingtest"
)

func TestMain(m *testing.M) { imagingtest.Main(m) }

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// The keys of alice's task, where the gateway puts them.
var (
	origKey = records.ImageKey("alice", "img")
	outKey  = records.OutputKey("alice", "job", "task", ".jpg")
)

type rig struct {
	fn     *Function
	bucket *blob.Bucket
	sub    *pubsub.Subscription
}

func newRig(t *testing.T) *rig {
	t.Helper()
	bucket := memblob.OpenBucket(nil)
	topic := mempubsub.NewTopic()
	sub := mempubsub.NewSubscription(topic, time.Minute)
	t.Cleanup(func() {
		ctx := context.Background()
		_ = sub.Shutdown(ctx)
		_ = topic.Shutdown(ctx)
	})
	return &rig{fn: &Function{Bucket: bucket, Responses: topic, Now: func() time.Time { return now }}, bucket: bucket, sub: sub}
}

func photo(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), 100, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func requested(t *testing.T, ops ...string) cloudevents.Event {
	t.Helper()
	var raw []json.RawMessage
	for _, o := range ops {
		raw = append(raw, json.RawMessage(o))
	}
	e, err := events.New(events.SourceGateway, now, events.TaskRequested{
		Job: "job", Task: "task", Owner: "alice", Image: "img", Original: origKey,
		Ops: raw, Output: events.Output{Key: outKey, Format: "jpeg"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// responses reads n response events.
func (r *rig) responses(t *testing.T, n int) []cloudevents.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []cloudevents.Event
	for range n {
		m, err := r.sub.Receive(ctx)
		if err != nil {
			t.Fatalf("after %d responses: %v", len(out), err)
		}
		m.Ack()
		e, err := events.FromMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestEditStoresAndReports(t *testing.T) {
	r := newRig(t)
	ctx := events.WithAttempt(context.Background(), 2)
	if err := r.bucket.WriteAll(ctx, origKey, photo(t, 400, 300), nil); err != nil {
		t.Fatal(err)
	}
	e := requested(t, `{"op":"thumbnail","width":100,"height":100,"fit":"fit"}`, `{"op":"brightness","factor":1.2}`)
	if err := r.fn.Handle(ctx, e); err != nil {
		t.Fatal(err)
	}
	out, err := r.bucket.ReadAll(ctx, outKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(out))
	if err != nil || format != "jpeg" || cfg.Width != 100 || cfg.Height != 75 {
		t.Fatalf("stored %s %dx%d (%v), want a 100x75 jpeg", format, cfg.Width, cfg.Height, err)
	}
	rs := r.responses(t, 1)
	var done events.TaskCompleted
	if err := events.Decode(rs[0], &done); err != nil || rs[0].Type() != events.TypeTaskCompleted {
		t.Fatalf("response %s: %v", rs[0].Type(), err)
	}
	want := events.Result{Key: outKey, Format: "jpeg", ContentType: "image/jpeg", Width: 100, Height: 75, Bytes: int64(len(out))}
	if done.Result != want || done.Attempt != 2 || !rs[0].Time().Equal(now) {
		t.Errorf("completed %+v at %s, want %+v", done, rs[0].Time(), want)
	}
	// The start is in the task's records, as the attempt that made it.
	st, err := records.NewStore(r.bucket).Tasks(ctx, records.Job{ID: "job", Tasks: []records.JobTask{{ID: "task"}}})
	if err != nil || len(st) != 1 || st[0].Attempts != 2 {
		t.Errorf("task records %+v (%v), want attempt 2 started", st, err)
	}

	// The same request again writes the same object and reports the same result.
	if err := r.fn.Handle(ctx, e); err != nil {
		t.Fatal(err)
	}
	again, _ := r.bucket.ReadAll(ctx, outKey)
	var done2 events.TaskCompleted
	_ = events.Decode(r.responses(t, 1)[0], &done2)
	if !bytes.Equal(again, out) || done2.Result != done.Result {
		t.Errorf("a duplicate delivery changed the result: %d vs %d bytes, %+v vs %+v", len(again), len(out), done2.Result, done.Result)
	}
}

func TestEditPermanentFailuresAreReported(t *testing.T) {
	tests := []struct {
		name     string
		original []byte
		ops      []string
		kind     fault.Kind
		reason   string
	}{
		{"not a picture", []byte("hello"), []string{`{"op":"brightness","factor":1.1}`}, fault.Permanent, "not a readable image"},
		{"crop outside", nil, []string{`{"op":"crop","x":0,"y":0,"width":500,"height":500}`}, fault.Permanent, "does not fit"},
		{"original gone", []byte{}, []string{`{"op":"brightness","factor":1.1}`}, fault.Permanent, "no longer stored"},
		{"op invalid", nil, []string{`{"op":"brightness","factor":99}`}, fault.InvalidArgument, "factor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			ctx := context.Background()
			switch {
			case tt.original == nil:
				_ = r.bucket.WriteAll(ctx, origKey, photo(t, 300, 200), nil)
			case len(tt.original) > 0:
				_ = r.bucket.WriteAll(ctx, origKey, tt.original, nil)
			}
			if err := r.fn.Handle(ctx, requested(t, tt.ops...)); err != nil {
				t.Fatalf("Handle returned %v; a permanent failure is reported, not retried", err)
			}
			var failed events.TaskFailed
			if err := events.Decode(r.responses(t, 1)[0], &failed); err != nil {
				t.Fatal(err)
			}
			if failed.Kind != string(tt.kind) || !bytes.Contains([]byte(failed.Reason), []byte(tt.reason)) {
				t.Errorf("failed %+v, want kind %s and a reason mentioning %q", failed, tt.kind, tt.reason)
			}
			if ok, _ := r.bucket.Exists(ctx, outKey); ok {
				t.Error("a failed task left an output")
			}
		})
	}
}

func TestEditTransientFailureIsRetried(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	_ = r.bucket.WriteAll(ctx, origKey, photo(t, 300, 200), nil)
	_ = r.bucket.Close() // storage unreachable
	err := r.fn.Handle(ctx, requested(t, `{"op":"brightness","factor":1.1}`))
	if !fault.Retryable(err) {
		t.Fatalf("Handle = %v, want a retryable error", err)
	}
}

func TestEditMalformedEvent(t *testing.T) {
	r := newRig(t)
	e := requested(t, `{"op":"brightness","factor":1.1}`)
	e.SetType(events.TypeTaskCompleted)
	err := r.fn.Handle(context.Background(), e)
	if fault.KindOf(err) != fault.InvalidArgument {
		t.Fatalf("Handle = %v, want invalid argument", err)
	}
}

func TestEditWatermarkReadsItsImage(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	_ = r.bucket.WriteAll(ctx, origKey, photo(t, 400, 300), nil)
	logoID := events.NewID()
	white := image.NewRGBA(image.Rect(0, 0, 100, 100))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	var lb bytes.Buffer
	_ = jpeg.Encode(&lb, white, nil)
	_ = r.bucket.WriteAll(ctx, records.ImageKey("alice", logoID), lb.Bytes(), nil)
	mk := func(inputs map[string]string) cloudevents.Event {
		e, err := events.New(events.SourceGateway, now, events.TaskRequested{
			Job: "job", Task: "task", Owner: "alice", Image: "img", Original: origKey,
			Ops:    []json.RawMessage{json.RawMessage(`{"op":"watermark","image":"` + logoID + `","opacity":1,"scale":0.25,"gravity":"south-east"}`)},
			Output: events.Output{Key: outKey, Format: "jpeg"}, Inputs: inputs,
		})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	if err := r.fn.Handle(ctx, mk(map[string]string{logoID: records.ImageKey("alice", logoID)})); err != nil {
		t.Fatal(err)
	}
	out, err := r.bucket.ReadAll(ctx, outKey)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	// The white logo covers the bottom-right corner; the top left is untouched.
	if rr, g, b, _ := img.At(345, 245).RGBA(); rr>>8 < 230 || g>>8 < 230 || b>>8 < 230 {
		t.Errorf("bottom right is %d,%d,%d, want the white logo", rr>>8, g>>8, b>>8)
	}
	if rr, _, _, _ := img.At(5, 5).RGBA(); rr>>8 > 30 {
		t.Errorf("top left changed: red %d", rr>>8)
	}
	r.responses(t, 1)

	// Without the input, the task fails with a reason.
	if err := r.fn.Handle(ctx, mk(nil)); err != nil {
		t.Fatal(err)
	}
	var failed events.TaskFailed
	if err := events.Decode(r.responses(t, 1)[0], &failed); err != nil || !strings.Contains(failed.Reason, "not part of the request") {
		t.Errorf("failed %+v (%v)", failed, err)
	}
}

// TestEditRefusesKeysOutsideItsOwner: a task whose keys reach into another
// owner's storage fails at once, permanently, and its owner is told; nothing
// of the other owner's is read into a result, and nothing is written.
func TestEditRefusesKeysOutsideItsOwner(t *testing.T) {
	bobs := records.ImageKey("bob", "img")
	tests := []struct {
		name      string
		owner     string
		original  string
		output    string
		inputs    map[string]string
		wantField string // "" when the task must succeed
	}{
		{"its own keys", "alice", origKey, outKey, nil, ""},
		{"another owner's original", "alice", bobs, outKey, nil, "original"},
		{"output into another owner's", "alice", origKey, records.OutputKey("bob", "job", "task", ".jpg"), nil, "output key"},
		{"another owner's watermark", "alice", origKey, outKey, map[string]string{"logo": bobs}, "picture logo"},
		{"climbing out of its prefix", "alice", "originals/alice/../bob/img", outKey, nil, "original"},
		{"an empty segment", "alice", "originals/alice//img", outKey, nil, "original"},
		{"the prefix alone", "alice", records.OwnerPrefixes("alice")[0], outKey, nil, "original"},
		{"the layout before owners, not local", "alice", "originals/img", outKey, nil, "original"},
		{"the layout before owners, local", records.LocalOwner, "originals/img", "results/job/task.jpg", nil, ""},
		{"an original from before owners, local", records.LocalOwner, "originals/img", records.OutputKey(records.LocalOwner, "job", "task", ".jpg"), nil, ""},
		{"local reaching into an owner", records.LocalOwner, bobs, "results/job/task.jpg", nil, "original"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			ctx := context.Background()
			for _, k := range []string{origKey, bobs, "originals/img", "originals/alice/../bob/img"} {
				if err := r.bucket.WriteAll(ctx, k, photo(t, 64, 48), nil); err != nil {
					t.Fatal(err)
				}
			}
			ops := []json.RawMessage{json.RawMessage(`{"op":"brightness","factor":1.1}`)}
			for id := range tt.inputs {
				ops = append(ops, json.RawMessage(`{"op":"watermark","image":"`+id+`"}`))
			}
			e, err := events.New(events.SourceGateway, now, events.TaskRequested{
				Job: "job", Task: "task", Owner: tt.owner, Image: "img", Original: tt.original,
				Ops: ops, Output: events.Output{Key: tt.output, Format: "jpeg"}, Inputs: tt.inputs,
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.fn.Handle(ctx, e); err != nil {
				t.Fatalf("Handle = %v; a refused task is reported, never retried", err)
			}
			rs := r.responses(t, 1)
			written, _ := r.bucket.Exists(ctx, tt.output)
			if tt.wantField == "" {
				if rs[0].Type() != events.TypeTaskCompleted || !written {
					t.Fatalf("response %s, output written %v; want the task done", rs[0].Type(), written)
				}
				return
			}
			var failed events.TaskFailed
			if err := events.Decode(rs[0], &failed); err != nil {
				t.Fatalf("response %s: %v, want task.failed", rs[0].Type(), err)
			}
			want := "the task's " + tt.wantField + " lies outside its owner's storage"
			if failed.Kind != string(fault.Permanent) || failed.Owner != tt.owner || !strings.Contains(failed.Reason, want) {
				t.Errorf("failed %+v, want kind permanent, owner %s, reason with %q", failed, tt.owner, want)
			}
			if written {
				t.Errorf("a refused task wrote %s", tt.output)
			}
		})
	}
}

// TestDeletedJobWritesNothing: a task whose job was deleted, or whose owner
// was erased after it was requested, writes no result, no record and no
// response; one requested after its owner's erasure (the owner came back)
// runs as any other.
func TestDeletedJobWritesNothing(t *testing.T) {
	job := records.Job{ID: "job", Owner: "alice", Created: now, Tasks: []records.JobTask{{ID: "task", Output: events.Output{Key: outKey}}}}
	for _, c := range []struct {
		name   string
		delete func(ctx context.Context, s *records.Store) error
		writes bool
	}{
		{"job deleted", func(ctx context.Context, s *records.Store) error { return s.DeleteJob(ctx, job, now.Add(time.Second)) }, false},
		{"owner erased after the request", func(ctx context.Context, s *records.Store) error {
			_, err := s.EraseOwner(ctx, "alice", now.Add(time.Second))
			return err
		}, false},
		{"owner erased before the request", func(ctx context.Context, s *records.Store) error {
			_, err := s.EraseOwner(ctx, "alice", now.Add(-time.Hour))
			return err
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			ctx := events.WithAttempt(context.Background(), 1)
			if err := r.bucket.WriteAll(ctx, origKey, photo(t, 40, 30), nil); err != nil {
				t.Fatal(err)
			}
			store := records.NewStore(r.bucket)
			if err := c.delete(ctx, store); err != nil {
				t.Fatal(err)
			}
			// The erasure removed the original too; put it back, so that
			// only the erasure's record can stop the task.
			if err := r.bucket.WriteAll(ctx, origKey, photo(t, 40, 30), nil); err != nil {
				t.Fatal(err)
			}
			if err := r.fn.Handle(ctx, requested(t, `{"op":"brightness","factor":1.2}`)); err != nil {
				t.Fatal(err)
			}
			wrote, err := r.bucket.Exists(ctx, outKey)
			if err != nil {
				t.Fatal(err)
			}
			state, err := store.TaskState(ctx, "job", "task")
			if err != nil {
				t.Fatal(err)
			}
			if wrote != c.writes || (state != records.Queued) == !c.writes {
				t.Errorf("result written %v, task %s; want written %v", wrote, state, c.writes)
			}
			rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			m, err := r.sub.Receive(rctx)
			if got := err == nil; got != c.writes {
				t.Errorf("a response was published: %v, want %v", got, c.writes)
			}
			if err == nil {
				m.Ack()
			}
		})
	}
}

// TestDeleteRacingATaskLeavesNothing: a job deleted at any moment while its
// task runs (before it starts, while it edits, after it wrote its result)
// leaves nothing of the job in the bucket once both are done: the task's
// check after its writes, or the deletion's listing after its tombstone,
// removes what the other did not see.
func TestDeleteRacingATaskLeavesNothing(t *testing.T) {
	job := records.Job{ID: "job", Owner: "alice", Created: now, Tasks: []records.JobTask{{ID: "task", Output: events.Output{Key: outKey}}}}
	const rounds = 40
	kept := 0
	for i := range rounds {
		r := newRig(t)
		ctx := events.WithAttempt(context.Background(), 1)
		if err := r.bucket.WriteAll(ctx, origKey, photo(t, 40, 30), nil); err != nil {
			t.Fatal(err)
		}
		store := records.NewStore(r.bucket)
		done := make(chan error, 1)
		go func() { done <- r.fn.Handle(ctx, requested(t, `{"op":"brightness","factor":1.2}`)) }()
		// Let the task get a varying way along before the deletion.
		for range i * i * 40 {
			runtime.Gosched()
		}
		if err := store.DeleteJob(ctx, job, now); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if ok, err := r.bucket.Exists(ctx, outKey); ok || err != nil {
			t.Errorf("round %d: the result is left behind (%v)", i, err)
		}
		if st, err := store.TaskState(ctx, "job", "task"); st != records.Queued || err != nil {
			t.Errorf("round %d: the task's records say %s (%v), want none", i, st, err)
		}
		rctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		if m, err := r.sub.Receive(rctx); err == nil {
			m.Ack()
			kept++ // finished before the deletion began
		}
		cancel()
	}
	t.Logf("%d of %d tasks finished before their job's deletion began; none left anything", kept, rounds)
}

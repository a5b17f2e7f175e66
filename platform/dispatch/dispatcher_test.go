package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
)

// bench is a dispatcher's surroundings: a file bucket, a topic and a
// subscription on it.
type bench struct {
	store *records.Store
	topic *pubsub.Topic
	sub   *pubsub.Subscription
}

func newBench(t *testing.T) *bench {
	t.Helper()
	b, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	topic := mempubsub.NewTopic()
	return &bench{store: records.NewStore(b), topic: topic, sub: mempubsub.NewSubscription(topic, time.Minute)}
}

// job stores a job of owner with n tasks and returns it with its originals.
func (b *bench) job(t *testing.T, owner, name string, n int) (records.Job, []string) {
	t.Helper()
	j := records.Job{ID: events.NewID(), Owner: owner, Created: time.Now(), Ops: []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":48,"height":48}`)}}
	var originals []string
	for i := range n {
		img := events.NewID()
		j.Tasks = append(j.Tasks, records.JobTask{ID: events.NewID(), Image: img, Name: fmt.Sprintf("%s-%d", name, i),
			Output: events.Output{Key: records.OutputKey(owner, j.ID, fmt.Sprint(i), "jpg"), Format: "jpeg"}})
		originals = append(originals, records.ImageKey(owner, img))
		if err := b.store.PutImage(context.Background(), records.Image{ID: img, Owner: owner, Key: originals[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.store.PutJob(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j, originals
}

// receive returns the name of the next task request sent, acking it.
func (b *bench) receive(t *testing.T, names map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := b.sub.Receive(ctx)
	if err != nil {
		t.Fatalf("no request sent: %v", err)
	}
	m.Ack()
	e, err := events.FromMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	var req events.TaskRequested
	if err := events.Decode(e, &req); err != nil {
		t.Fatal(err)
	}
	return names[req.Task]
}

// complete records task as succeeded, as the results handler does.
func complete(t *testing.T, s *records.Store, j records.Job, i int) {
	t.Helper()
	if err := s.MarkCompleted(context.Background(), events.TaskCompleted{Job: j.ID, Task: j.Tasks[i].ID, Owner: j.Owner, Attempt: 1, Result: events.Result{Key: j.Tasks[i].Output.Key}}, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func namesOf(jobs ...records.Job) map[string]string {
	m := map[string]string{}
	for _, j := range jobs {
		for _, t := range j.Tasks {
			m[t.ID] = t.Name
		}
	}
	return m
}

func start(t *testing.T, d *Dispatcher) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return cancel
}

// waitFor waits until cond holds, polling.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDispatcherWindow: the window bounds what is sent; each release sends
// the next task as the scheduler says; a job whose tasks all ended leaves
// no cursor behind.
func TestDispatcherWindow(t *testing.T) {
	b := newBench(t)
	d, err := New(Config{Window: 2, Reconcile: time.Hour}, Deps{Requests: b.topic, Store: b.store})
	if err != nil {
		t.Fatal(err)
	}
	b.store.OnTaskEnd(d.Release)
	start(t, d)
	ja, oa := b.job(t, "ann", "a", 5)
	if err := d.Submit(context.Background(), ja, oa); err != nil {
		t.Fatal(err)
	}
	names := namesOf(ja)
	// One batch's sends run at once, so they may arrive in either order.
	got := []string{b.receive(t, names), b.receive(t, names)}
	slices.Sort(got)
	waitFor(t, "2 in flight and 3 held", func() bool { return d.InFlight() == 2 && d.Held() == 3 })
	jb, ob := b.job(t, "ben", "b", 1)
	if err := d.Submit(context.Background(), jb, ob); err != nil {
		t.Fatal(err)
	}
	names = namesOf(ja, jb)
	if d.Held() != 4 {
		t.Errorf("%d held after ben's job, want 4", d.Held())
	}
	// Each end frees one slot: ben's one task goes first.
	for i := range 5 {
		complete(t, b.store, ja, i)
		if i < 4 {
			got = append(got, b.receive(t, names))
		}
	}
	complete(t, b.store, jb, 0)
	want := []string{"a-0", "a-1", "b-0", "a-2", "a-3", "a-4"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	waitFor(t, "no cursor left", func() bool {
		cs, err := b.store.Cursors(context.Background())
		return err == nil && len(cs) == 0 && d.InFlight() == 0
	})
}

// TestDispatcherResume: a dispatcher that stops mid-job (a crash) leaves a
// cursor; the next one resumes: tasks sent and not ended keep their slots,
// tasks ended are not sent again, the rest are sent as slots free.
func TestDispatcherResume(t *testing.T) {
	b := newBench(t)
	cfg := Config{Window: 2, Reconcile: time.Hour}
	d1, err := New(cfg, Deps{Requests: b.topic, Store: b.store})
	if err != nil {
		t.Fatal(err)
	}
	d1.cursorEvery = cfg.Window // the cursor written after the first sends
	stop := start(t, d1)
	j, o := b.job(t, "ann", "a", 4)
	if err := d1.Submit(context.Background(), j, o); err != nil {
		t.Fatal(err)
	}
	names := namesOf(j)
	got := []string{b.receive(t, names), b.receive(t, names)}
	slices.Sort(got)
	waitFor(t, "the cursor past both sends", func() bool {
		cs, err := b.store.Cursors(context.Background())
		return err == nil && len(cs) == 1 && cs[0].Next == 2
	})
	stop()
	complete(t, b.store, j, 0)

	d2, err := New(cfg, Deps{Requests: b.topic, Store: b.store})
	if err != nil {
		t.Fatal(err)
	}
	b.store.OnTaskEnd(d2.Release)
	start(t, d2)
	got = append(got, b.receive(t, names))
	if d2.InFlight() != 2 || d2.Held() != 1 {
		t.Errorf("resumed with %d in flight and %d held, want 2 and 1", d2.InFlight(), d2.Held())
	}
	complete(t, b.store, j, 1)
	got = append(got, b.receive(t, names))
	if want := "[a-0 a-1 a-2 a-3]"; fmt.Sprint(got) != want {
		t.Errorf("sent %v, want %s: each task once", got, want)
	}
}

// TestDispatcherReconcile: with no one telling it of ends (results handled
// in another process), the dispatcher reads them back and frees the slots.
func TestDispatcherReconcile(t *testing.T) {
	b := newBench(t)
	d, err := New(Config{Window: 1, Reconcile: 20 * time.Millisecond}, Deps{Requests: b.topic, Store: b.store})
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	j, o := b.job(t, "ann", "a", 3)
	if err := d.Submit(context.Background(), j, o); err != nil {
		t.Fatal(err)
	}
	names := namesOf(j)
	for i := range 3 {
		if got, want := b.receive(t, names), fmt.Sprintf("a-%d", i); got != want {
			t.Errorf("sent %s, want %s", got, want)
		}
		complete(t, b.store, j, i)
	}
	waitFor(t, "every slot free", func() bool { return d.InFlight() == 0 })
}

// TestDispatcherStartFreesSlot: the window holds the tasks waiting in the
// queue, not those being worked on. A task a worker took frees its slot at
// once when told (Started) and stays in flight until it ends; a worker
// that dies mid-task keeps no slot, whether its start was told or read
// back from the records.
func TestDispatcherStartFreesSlot(t *testing.T) {
	b := newBench(t)
	d, err := New(Config{Window: 1, Reconcile: 20 * time.Millisecond}, Deps{Requests: b.topic, Store: b.store})
	if err != nil {
		t.Fatal(err)
	}
	b.store.OnTaskEnd(d.Release)
	start(t, d)
	j, o := b.job(t, "ann", "a", 4)
	if err := d.Submit(context.Background(), j, o); err != nil {
		t.Fatal(err)
	}
	names := namesOf(j)
	if got := b.receive(t, names); got != "a-0" {
		t.Fatalf("sent %s first, want a-0", got)
	}
	// a-0 is taken; its worker is then killed: a-0 never ends.
	d.Started(j.Tasks[0].ID)
	if got := b.receive(t, names); got != "a-1" {
		t.Fatalf("sent %s after a-0 started, want a-1", got)
	}
	waitFor(t, "2 in flight, 1 waiting", func() bool { return d.InFlight() == 2 && d.Waiting() == 1 })
	d.Started(j.Tasks[0].ID) // a redelivery of a-0 changes nothing
	if d.Waiting() != 1 {
		t.Errorf("%d waiting after a-0's redelivery started, want 1", d.Waiting())
	}
	// a-1's start is not told, only recorded by its worker (a worker in
	// another process): the reconcile reads it back.
	if err := b.store.MarkStarted(context.Background(), events.TaskStarted{Job: j.ID, Task: j.Tasks[1].ID, Owner: j.Owner, Attempt: 1}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := b.receive(t, names); got != "a-2" {
		t.Fatalf("sent %s after a-1's start was recorded, want a-2", got)
	}
	for i := range 3 {
		complete(t, b.store, j, i)
	}
	if got := b.receive(t, names); got != "a-3" {
		t.Fatalf("sent %s, want a-3", got)
	}
	complete(t, b.store, j, 3)
	waitFor(t, "every task ended", func() bool { return d.InFlight() == 0 && d.Waiting() == 0 })
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Window: 0, Reconcile: time.Second}, "fair-window: 0, must be at least 1"},
		{Config{Window: 1}, "fair-reconcile: 0s, must be positive"},
		{Config{Window: 1, Reconcile: time.Second, Weights: map[string]int{"x": 0}}, `fair-weights: owner "x" has weight 0`},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); err == nil || !contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
	ident := func(s string) (string, error) { return s, nil }
	if w, err := ParseWeights("ann=3, ben=1", ident); err != nil || w["ann"] != 3 || w["ben"] != 1 {
		t.Errorf("ParseWeights = %v, %v", w, err)
	}
	for _, bad := range []string{"ann", "ann=0", "ann=x"} {
		if _, err := ParseWeights(bad, ident); err == nil || !contains(err.Error(), "is not OWNER=N") {
			t.Errorf("ParseWeights(%q) = %v, want an error naming it", bad, err)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestDispatcherCursorLag: cursors are written once cursorEvery tasks have
// been sent, not after each send, so a crash sends again at most that
// many; a job sent to the end, and a dispatcher that stops, leave the
// cursor current.
func TestDispatcherCursorLag(t *testing.T) {
	const window, tasks = 3, 12
	b := newBench(t)
	d, err := New(Config{Window: window, Reconcile: time.Hour}, Deps{Requests: b.topic, Store: b.store})
	if err != nil {
		t.Fatal(err)
	}
	if d.cursorEvery != minCursorEvery {
		t.Errorf("cursors written every %d tasks with a window of %d, want %d", d.cursorEvery, window, minCursorEvery)
	}
	d.cursorEvery = window // to see it happen within a small job
	b.store.OnTaskEnd(d.Release)
	stop := start(t, d)
	j, o := b.job(t, "ann", "a", tasks)
	if err := d.Submit(context.Background(), j, o); err != nil {
		t.Fatal(err)
	}
	names := namesOf(j)
	cursor := func() int {
		var next int
		waitFor(t, "the cursor read", func() bool {
			cs, err := b.store.Cursors(context.Background())
			if err == nil && len(cs) == 1 {
				next = cs[0].Next
			}
			return err == nil && len(cs) == 1
		})
		return next
	}
	sent, writes, last := 0, 0, -1
	for i := 0; i < tasks-1; i++ {
		for sent < min(i+window, tasks) {
			b.receive(t, names)
			sent++
		}
		waitFor(t, "the sends counted", func() bool { return d.InFlight() == sent-i })
		c := cursor()
		if c > sent || sent-c > window {
			t.Errorf("after %d sent the cursor is at %d: want within %d behind", sent, c, window)
		}
		if c != last {
			writes++
			last = c
		}
		complete(t, b.store, j, i)
	}
	waitFor(t, "the cursor at the end once every task is sent", func() bool { return cursor() == tasks })
	writes++
	if writes >= tasks-window {
		t.Errorf("the cursor moved %d times for %d sends: want about one move a window", writes, tasks)
	}
	complete(t, b.store, j, tasks-1)
	waitFor(t, "the job's cursor removed", func() bool {
		cs, err := b.store.Cursors(context.Background())
		return err == nil && len(cs) == 0
	})
	stop()

	// A dispatcher stopped mid-job writes how far it got.
	j2, o2 := b.job(t, "ann", "b", tasks)
	d2, err := New(Config{Window: window, Reconcile: time.Hour}, Deps{Requests: b.topic, Store: b.store})
	if err != nil {
		t.Fatal(err)
	}
	b.store.OnTaskEnd(d2.Release)
	stop2 := start(t, d2)
	if err := d2.Submit(context.Background(), j2, o2); err != nil {
		t.Fatal(err)
	}
	names = namesOf(j2)
	for range window {
		b.receive(t, names)
	}
	complete(t, b.store, j2, 0)
	b.receive(t, names)
	waitFor(t, "four sent", func() bool { return d2.InFlight() == window })
	stop2()
	waitFor(t, "the cursor written on stop", func() bool {
		cs, err := b.store.Cursors(context.Background())
		for _, c := range cs {
			if c.Job == j2.ID {
				return err == nil && c.Next == window+1
			}
		}
		return false
	})
}

// TestDispatcherCarriesTrace: a job's requests carry on the trace of the
// request that submitted it, although they are sent later, from the
// dispatcher's own goroutine.
func TestDispatcherCarriesTrace(t *testing.T) {
	b := newBench(t)
	d, err := New(Config{Window: 4, Reconcile: time.Hour}, Deps{Requests: b.topic, Store: b.store})
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	j, o := b.job(t, "ann", "a", 2)
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0x5c, 0xa1, 0xab, 0x1e}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	if err := d.Submit(trace.ContextWithRemoteSpanContext(context.Background(), sc), j, o); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		m, err := b.sub.Receive(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		m.Ack()
		e, err := events.FromMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		got := trace.SpanContextFromContext(events.TraceContext(context.Background(), e))
		if got.TraceID() != sc.TraceID() {
			t.Errorf("request of task %s carries trace %s, want %s", e.Subject(), got.TraceID(), sc.TraceID())
		}
	}
}

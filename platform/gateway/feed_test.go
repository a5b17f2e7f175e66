package gateway

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/platform/api"
)

// fileBucket is a real file bucket in a test's temporary directory.
func fileBucket(t testing.TB) *blob.Bucket {
	t.Helper()
	b, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{CreateDir: true, NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// ticks drives a gateway's feeds by hand: step lets them read once and
// returns when the read is done. It assumes one feed.
type ticks struct {
	waiting, next chan struct{}
}

func newTicks() *ticks { return &ticks{waiting: make(chan struct{}), next: make(chan struct{})} }

func (tk *ticks) wait(ctx context.Context) bool {
	select {
	case tk.waiting <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	select {
	case <-tk.next:
		return true
	case <-ctx.Done():
		return false
	}
}

// idle returns once the feed waits for its next tick.
func (tk *ticks) idle(t testing.TB) {
	t.Helper()
	select {
	case <-tk.waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("the feed does not wait for a tick")
	}
}

// step lets the feed, idle, read once, and returns when it is idle again.
func (tk *ticks) step(t testing.TB) {
	t.Helper()
	tk.next <- struct{}{}
	tk.idle(t)
}

// counting is a gateway on a real file bucket whose reads are counted,
// its feeds ticked by hand.
type counting struct {
	gw      *Gateway
	srv     *httptest.Server
	reads   *counted
	store   *records.Store // on the bucket itself, uncounted
	ticks   *ticks
	changes *Changes // nil for a gateway that is told nothing
	now     time.Time
	mu      sync.Mutex
}

func newCounting(t testing.TB, told bool) *counting {
	t.Helper()
	raw := fileBucket(t)
	bucket, reads := countReads(raw)
	topic := mempubsub.NewTopic()
	t.Cleanup(func() { _ = topic.Shutdown(context.Background()) })
	c := &counting{reads: reads, store: records.NewStore(raw), ticks: newTicks(), now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if told {
		c.changes = NewChanges()
	}
	gw, err := New(Config{}, Deps{Bucket: bucket, Requests: topic, Changes: c.changes, Now: c.clock})
	if err != nil {
		t.Fatal(err)
	}
	gw.feeds.wait = c.ticks.wait
	c.gw, c.srv = gw, httptest.NewServer(gw)
	t.Cleanup(c.srv.Close)
	return c
}

func (c *counting) clock() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *counting) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// putJob stores a job of n tasks, each started.
func (c *counting) putJob(t testing.TB, n int) records.Job {
	t.Helper()
	ctx := context.Background()
	j := records.Job{ID: events.NewID(), Owner: LocalOwner, Created: c.clock()}
	for i := range n {
		id := events.NewID()
		j.Tasks = append(j.Tasks, records.JobTask{ID: id, Image: events.NewID(), Name: "photo-" + strconv.Itoa(i) + ".jpg",
			Output: events.Output{Key: records.OutputKey(LocalOwner, j.ID, id, ".jpg"), Format: "jpeg"}})
		if err := c.store.MarkStarted(ctx, events.TaskStarted{Job: j.ID, Task: id, Owner: LocalOwner, Attempt: 1}, c.clock()); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.store.PutJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	return j
}

// complete records that task i of j succeeded, as the results function
// does, and tells the gateway if it listens.
func (c *counting) complete(t testing.TB, j records.Job, i int) {
	t.Helper()
	task := j.Tasks[i]
	res := events.Result{Key: task.Output.Key, Format: "jpeg", Width: 8, Height: 6, Bytes: 321}
	if err := c.store.MarkCompleted(context.Background(), events.TaskCompleted{Job: j.ID, Task: task.ID, Owner: LocalOwner, Attempt: 1, Result: res}, c.clock()); err != nil {
		t.Fatal(err)
	}
	c.changes.TaskChanged(j.ID, task.ID)
}

// follow connects n streams to j and reads what a new connection gets:
// every task, then the summary.
func (c *counting) follow(t testing.TB, j records.Job, n int) []*stream {
	t.Helper()
	var ss []*stream
	for range n {
		s := connect(t, c.srv.URL, j.ID, "")
		s.next(t, len(j.Tasks)+1)
		ss = append(ss, s)
	}
	return ss
}

// TestWatchersShareOneReader: ten clients following one job cost the bucket
// what one does, a listing of the job a tick, and each still gets every
// change.
func TestWatchersShareOneReader(t *testing.T) {
	const tasks = 300
	for _, watchers := range []int{1, 10} {
		t.Run(strconv.Itoa(watchers), func(t *testing.T) {
			c := newCounting(t, false)
			j := c.putJob(t, tasks)
			before := c.reads.snapshot()
			ss := c.follow(t, j, watchers)
			c.ticks.idle(t)
			if got := c.reads.snapshot().minus(before); got.listed != tasks {
				t.Errorf("connecting %d streams listed %d records, want the job's %d once", watchers, got.listed, tasks)
			}

			before = c.reads.snapshot()
			for range 3 {
				c.ticks.step(t)
			}
			got := c.reads.snapshot().minus(before)
			if got.listed != 3*tasks || got.reads != 0 {
				t.Errorf("3 ticks with %d streams: %d records listed, %d read; want %d listed (once a tick), 0 read", watchers, got.listed, got.reads, 3*tasks)
			}

			c.complete(t, j, 7)
			before = c.reads.snapshot()
			c.ticks.step(t)
			if got := c.reads.snapshot().minus(before); got.reads != 1 {
				t.Errorf("a tick after one task ended read %d records, want 1", got.reads)
			}
			for _, s := range ss {
				s.expect(t, "task photo-7.jpg succeeded 1", fmt.Sprintf("job running %d running, 1 succeeded of %d", tasks-1, tasks))
			}
		})
	}
}

// TestTickReadsWhatChanged: told of changes, a feed's tick reads the tasks
// that changed (one small listing and one record each), whatever the job's
// size; it lists the whole job only when its resync is due, which shows
// changes it was not told of.
func TestTickReadsWhatChanged(t *testing.T) {
	tests := []struct {
		tasks, changed int
	}{
		{100, 1},
		{1000, 1},
		{1000, 10},
		{1000, 50},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of %d", tt.changed, tt.tasks), func(t *testing.T) {
			c := newCounting(t, true)
			j := c.putJob(t, tt.tasks)
			ss := c.follow(t, j, 3)
			c.ticks.idle(t)

			before := c.reads.snapshot()
			c.ticks.step(t)
			if got := c.reads.snapshot().minus(before); got != (readCounts{}) {
				t.Errorf("a tick without changes: %+v, want nothing read", got)
			}

			rng := rand.New(rand.NewPCG(1, uint64(tt.tasks)))
			changed := rng.Perm(tt.tasks)[:tt.changed]
			for _, i := range changed {
				c.complete(t, j, i)
			}
			before = c.reads.snapshot()
			c.ticks.step(t)
			got := c.reads.snapshot().minus(before)
			want := readCounts{lists: int64(tt.changed), listed: 2 * int64(tt.changed), reads: int64(tt.changed)}
			if got != want {
				t.Errorf("a tick after %d changes: %+v, want %+v (a listing of each task's 2 records, a read of each ending)", tt.changed, got, want)
			}
			for _, s := range ss {
				evs := s.next(t, tt.changed+1)
				if last := evs[tt.changed].Job; last == nil || last.Counts[api.TaskSucceeded] != tt.changed {
					t.Errorf("after %d changes the stream got %v", tt.changed, shorts(evs))
				}
			}

			// A task that ends without the gateway being told shows at
			// the resync, which lists the whole job.
			untold := 0
			for slices.Contains(changed, untold) {
				untold++
			}
			c.changes = nil
			c.complete(t, j, untold)
			c.ticks.step(t)
			c.advance(DefaultProgressResync)
			before = c.reads.snapshot()
			c.ticks.step(t)
			// The fleet's report, read every 2s of the clock, is the
			// other read.
			if got := c.reads.snapshot().minus(before); got.listed != int64(tt.tasks+tt.changed+1) || got.reads != 2 {
				t.Errorf("the resync: %+v, want the job's %d records listed and 2 read (the new ending, the fleet's report)", got, tt.tasks+tt.changed+1)
			}
			for _, s := range ss {
				s.expect(t, fmt.Sprintf("task photo-%d.jpg succeeded 1", untold),
					fmt.Sprintf("job running %d running, %d succeeded of %d", tt.tasks-tt.changed-1, tt.changed+1, tt.tasks))
			}
		})
	}
}

// TestResumeAcrossReplicasWhileTasksChange follows a job of 60 tasks that
// move on their own (started, some failing and retried, then ended) from two
// replicas on one file bucket, one told of the changes and one polling,
// breaking the connection after a few events each time and resuming on the
// other replica: the client learns every task's final state, never gets a
// state it already had, and event ids go up by one throughout.
func TestResumeAcrossReplicasWhileTasksChange(t *testing.T) {
	const tasks = 60
	bucket := fileBucket(t)
	topic := mempubsub.NewTopic()
	t.Cleanup(func() { _ = topic.Shutdown(context.Background()) })
	changes := NewChanges()
	var urls []string
	for _, ch := range []*Changes{changes, nil} {
		gw, err := New(Config{}, Deps{Bucket: bucket, Requests: topic, Changes: ch})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(gw)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	rs := &replicas{store: records.NewStore(bucket)}
	j := rs.putJob(t, tasks)

	// The workers: each task starts, fails once in three and is retried,
	// then succeeds, or fails for good one in seven.
	var workers sync.WaitGroup
	workers.Add(1)
	defer workers.Wait()
	go func() {
		defer workers.Done()
		ctx := context.Background()
		record := func(i int, put func(records.JobTask) error) {
			if err := put(j.Tasks[i]); err != nil {
				t.Error(err)
			}
			changes.TaskChanged(j.ID, j.Tasks[i].ID)
		}
		started := func(a int) func(records.JobTask) error {
			return func(tk records.JobTask) error {
				return rs.store.MarkStarted(ctx, events.TaskStarted{Job: j.ID, Task: tk.ID, Owner: j.Owner, Attempt: a}, time.Now())
			}
		}
		failed := func(a int, reason string) func(records.JobTask) error {
			return func(tk records.JobTask) error {
				return rs.store.MarkFailed(ctx, events.TaskFailed{Job: j.ID, Task: tk.ID, Owner: j.Owner, Attempt: a, Kind: "permanent", Reason: reason}, time.Now())
			}
		}
		rng := rand.New(rand.NewPCG(7, 7))
		for _, i := range rng.Perm(tasks) {
			attempts := 1 + rng.IntN(3)/2
			for a := 1; a <= attempts; a++ {
				record(i, started(a))
				if a < attempts {
					record(i, failed(a, "worker crashed on attempt "+strconv.Itoa(a)))
				}
			}
			if i%7 == 3 {
				record(i, failed(attempts, "the picture is broken"))
			} else {
				record(i, func(tk records.JobTask) error {
					res := events.Result{Key: tk.Output.Key, Format: "jpeg", Width: 8, Height: 6, Bytes: 321}
					return rs.store.MarkCompleted(ctx, events.TaskCompleted{Job: j.ID, Task: tk.ID, Owner: j.Owner, Attempt: attempts, Result: res}, time.Now())
				})
			}
			time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
		}
	}()

	known := map[string]api.Task{}
	var lastID string
	var lastSeq uint64
	rng := rand.New(rand.NewPCG(3, 3))
	ended := false
	for conn := 0; !ended; conn++ {
		if conn > 1000 {
			t.Fatal("the job did not end")
		}
		s := connect(t, urls[conn%2], j.ID, lastID)
		for n := 1 + rng.IntN(12); n > 0 && !ended; n-- {
			e := s.next(t, 1)[0]
			if seq := e.seq(t); seq != lastSeq+1 {
				t.Fatalf("event id %q after %q", e.ID, lastID)
			}
			lastID, lastSeq = e.ID, e.seq(t)
			switch e.Event {
			case "task":
				if before, ok := known[e.Task.ID]; ok && before.State == e.Task.State && before.Attempts == e.Task.Attempts && before.Error == e.Task.Error {
					t.Errorf("task %s sent twice as %s, attempt %d", e.Task.Name, e.Task.State, e.Task.Attempts)
				}
				known[e.Task.ID] = *e.Task
			case "end":
				ended = true
			}
		}
		s.close()
	}

	final, err := rs.store.Tasks(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]api.Task{}
	for _, st := range final {
		want[st.ID] = taskView(st)
	}
	if diff := cmp.Diff(want, known); diff != "" {
		t.Errorf("what the client knows at the end differs from the records (-records +client):\n%s", diff)
	}
}

// TestViewRuns: setting keys one by one keeps the runs those keys make, so
// the id written from the runs is the one the keys give.
func TestViewRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for n := range 200 {
		size := 1 + n%40
		keys := make([]uint64, size)
		v := newView(make([]uint64, size))
		for range 3 * size {
			i, k := rng.IntN(size), uint64(rng.IntN(3))
			keys[i] = k
			v.set(i, k)
			if want := newView(slicesClone(keys)); !cmp.Equal(v.runs, want.runs, cmp.AllowUnexported(viewRun{})) {
				t.Fatalf("after setting %d to %d in %v: runs %v, want %v", i, k, keys, v.runs, want.runs)
			}
		}
	}
}

func slicesClone(v []uint64) []uint64 { return append([]uint64(nil), v...) }

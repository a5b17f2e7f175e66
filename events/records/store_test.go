package records

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func newJob(tasks ...string) Job {
	j := Job{ID: "job", Owner: "alice", Created: t0}
	for _, id := range tasks {
		j.Tasks = append(j.Tasks, JobTask{ID: id, Image: "img-" + id, Name: id + ".jpg"})
	}
	return j
}

func TestTaskStates(t *testing.T) {
	res := events.Result{Key: "results/job/b.jpg", Format: "jpeg", ContentType: "image/jpeg", Width: 10, Height: 5, Bytes: 100}
	type step func(ctx context.Context, s *Store) error
	started := func(task string, n int) step {
		return func(ctx context.Context, s *Store) error {
			return s.MarkStarted(ctx, events.TaskStarted{Job: "job", Task: task, Owner: "alice", Attempt: n}, t0)
		}
	}
	completed := func(task string) step {
		return func(ctx context.Context, s *Store) error {
			return s.MarkCompleted(ctx, events.TaskCompleted{Job: "job", Task: task, Owner: "alice", Attempt: 1, Result: res}, t0)
		}
	}
	failedStep := func(task string) step {
		return func(ctx context.Context, s *Store) error {
			return s.MarkFailed(ctx, events.TaskFailed{Job: "job", Task: task, Owner: "alice", Attempt: 1, Kind: "permanent", Reason: "broken"}, t0)
		}
	}
	tests := []struct {
		name     string
		steps    []step
		want     State
		attempts int
		job      State
	}{
		{"nothing yet", nil, Queued, 0, Queued},
		{"started", []step{started("a", 1)}, Running, 1, Running},
		{"retried", []step{started("a", 1), started("a", 2)}, Running, 2, Running},
		{"succeeded", []step{started("a", 1), completed("a")}, Succeeded, 1, Succeeded},
		{"completion before start", []step{completed("a"), started("a", 1)}, Succeeded, 1, Succeeded},
		{"duplicate completion", []step{started("a", 1), completed("a"), completed("a")}, Succeeded, 1, Succeeded},
		{"failed", []step{started("a", 1), failedStep("a")}, Failed, 1, Failed},
		{"success beats failure", []step{failedStep("a"), started("a", 3), completed("a")}, Succeeded, 3, Succeeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := NewStore(memblob.OpenBucket(nil))
			for _, st := range tt.steps {
				if err := st(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			ts, err := s.Tasks(ctx, newJob("a"))
			if err != nil {
				t.Fatal(err)
			}
			if got := ts[0]; got.State != tt.want || got.Attempts != tt.attempts {
				t.Errorf("state %s attempts %d, want %s %d", got.State, got.Attempts, tt.want, tt.attempts)
			}
			if tt.want == Succeeded && (ts[0].Result == nil || *ts[0].Result != res) {
				t.Errorf("result %+v, want %+v", ts[0].Result, res)
			}
			if tt.want == Failed && ts[0].Error != "broken" {
				t.Errorf("error %q", ts[0].Error)
			}
			if got := JobState(ts); got != tt.job {
				t.Errorf("job state %s, want %s", got, tt.job)
			}
			if got, err := s.TaskState(ctx, "job", "a"); err != nil || got != tt.want {
				t.Errorf("TaskState = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestJobState(t *testing.T) {
	st := func(states ...State) []TaskStatus {
		var out []TaskStatus
		for _, s := range states {
			out = append(out, TaskStatus{State: s})
		}
		return out
	}
	tests := []struct {
		tasks []TaskStatus
		want  State
	}{
		{st(Queued, Queued), Queued},
		{st(Queued, Running), Running},
		{st(Queued, Succeeded), Running},
		{st(Succeeded, Succeeded), Succeeded},
		{st(Failed, Failed), Failed},
		{st(Failed, Succeeded), Partial},
		{st(Failed, Running), Running},
	}
	for _, tt := range tests {
		if got := JobState(tt.tasks); got != tt.want {
			t.Errorf("JobState(%v) = %s, want %s", tt.tasks, got, tt.want)
		}
	}
}

func TestOwnership(t *testing.T) {
	ctx := context.Background()
	s := NewStore(memblob.OpenBucket(nil))
	if err := s.PutImage(ctx, Image{ID: "i1", Owner: "alice", Name: "a.jpg"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutJob(ctx, newJob("a")); err != nil {
		t.Fatal(err)
	}
	if img, err := s.Image(ctx, "alice", "i1"); err != nil || img.Name != "a.jpg" {
		t.Errorf("own image: %+v %v", img, err)
	}
	for name, err := range map[string]error{
		"other's image": func() error { _, err := s.Image(ctx, "bob", "i1"); return err }(),
		"missing image": func() error { _, err := s.Image(ctx, "alice", "nope"); return err }(),
		"other's job":   func() error { _, err := s.Job(ctx, "bob", "job"); return err }(),
	} {
		if fault.KindOf(err) != fault.NotFound {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	if j, err := s.Job(ctx, "alice", "job"); err != nil || len(j.Tasks) != 1 {
		t.Errorf("own job: %+v %v", j, err)
	}
}

func TestTasksKeepsJobOrder(t *testing.T) {
	ctx := context.Background()
	s := NewStore(memblob.OpenBucket(nil))
	j := newJob("c", "a", "b")
	_ = s.MarkStarted(ctx, events.TaskStarted{Job: "job", Task: "b", Owner: "alice", Attempt: 1}, t0)
	ts, err := s.Tasks(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range ts {
		got = append(got, x.ID+":"+string(x.State))
	}
	want := []string{"c:queued", "a:queued", "b:running"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestResult(t *testing.T) {
	ctx := context.Background()
	s := NewStore(memblob.OpenBucket(nil))
	if _, err := s.Result(ctx, "job", "a"); fault.KindOf(err) != fault.NotFound {
		t.Errorf("no result yet: %v, want not found", err)
	}
	_ = s.MarkStarted(ctx, events.TaskStarted{Job: "job", Task: "a", Owner: "alice", Attempt: 1}, t0)
	if _, err := s.Result(ctx, "job", "a"); fault.KindOf(err) != fault.NotFound {
		t.Errorf("running: %v, want not found", err)
	}
	want := events.Result{Key: "results/job/a.png", Format: "png", ContentType: "image/png", Width: 4, Height: 3, Bytes: 9}
	_ = s.MarkCompleted(ctx, events.TaskCompleted{Job: "job", Task: "a", Owner: "alice", Attempt: 1, Result: want}, t0)
	if got, err := s.Result(ctx, "job", "a"); err != nil || got != want {
		t.Errorf("result %+v (%v), want %+v", got, err, want)
	}
}

// TestTasksReadsEndedRecordsOnce: a Store reads how a task ended once, and
// again only when the listing shows that record changed.
func TestTasksReadsEndedRecordsOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := fileblob.OpenBucket(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s := NewStore(b)
	var ids []string
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("t%02d", i))
	}
	j := newJob(ids...)
	result := func(id string) events.Result {
		return events.Result{Key: "results/job/" + id + ".jpg", Format: "jpeg", ContentType: "image/jpeg", Width: 10, Height: 5, Bytes: int64(len(id))}
	}
	for _, id := range ids[:39] {
		if err := s.MarkCompleted(ctx, events.TaskCompleted{Job: "job", Task: id, Owner: "alice", Attempt: 2, Result: result(id)}, t0); err != nil {
			t.Fatal(err)
		}
	}
	last := ids[39]
	fail := func(reason string, at time.Time) {
		t.Helper()
		if err := s.MarkFailed(ctx, events.TaskFailed{Job: "job", Task: last, Owner: "alice", Attempt: 1, Kind: "permanent", Reason: reason}, at); err != nil {
			t.Fatal(err)
		}
	}
	fail("broken", t0)
	check := func(s *Store, reason string) {
		t.Helper()
		ts, err := s.Tasks(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range ts[:39] {
			if st.State != Succeeded || st.Result == nil || *st.Result != result(st.ID) || st.Attempts != 2 {
				t.Fatalf("task %s: %+v, want succeeded with its result after 2 attempts", st.ID, st)
			}
		}
		if st := ts[39]; st.State != Failed || st.Error != reason {
			t.Fatalf("task %s: %+v, want failed: %s", st.ID, st, reason)
		}
	}
	check(s, "broken")

	// Spoil a record behind the store's back, keeping its size and time as
	// the listing shows them: the store answers from what it read, and only
	// a store that never read it sees the damage.
	path := filepath.Join(dir, filepath.FromSlash(taskKey("job", ids[0], "succeeded")))
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), int(info.Size())), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	check(s, "broken")
	if _, err := NewStore(b).Tasks(ctx, j); fault.KindOf(err) != fault.Permanent || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("a new store read the spoilt record: %v, want it reported corrupt", err)
	}

	// A failure recorded again (after a redrive) is read again.
	fail("broken again, differently", t0.Add(time.Hour))
	check(s, "broken again, differently")

	// Reset, the task is queued again.
	if err := s.ResetTask(ctx, "job", last); err != nil {
		t.Fatal(err)
	}
	ts, err := s.Tasks(ctx, j)
	if err != nil || ts[39].State != Queued || ts[39].Error != "" {
		t.Fatalf("after a reset: %+v (%v), want queued", ts[39], err)
	}
}

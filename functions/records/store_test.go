package records

import (
	"context"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/functions/fault"
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

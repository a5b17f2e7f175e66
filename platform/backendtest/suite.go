package backendtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	// The outputs are decoded here to be measured.
	_ "image/jpeg"
	_ "image/png"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// MaxAttempts is the --max-attempts every scenario runs with.
const MaxAttempts = 4

// Generated is how many generated pictures join the real photographs in the
// end-to-end scenario. The single-machine suite (platform/stack) runs 100;
// here every backend runs the scenario, so it is kept to what shows the
// backend carries a batch, within the test budget.
const Generated = 100

var ()

// Run runs every scenario on b, each on its own fresh queues and bucket.
// The caller must have started libvips (imaging.Startup) and called SetEnv.
func Run(t *testing.T, b Backend) {
	t.Run("EndToEnd", func(t *testing.T) { endToEnd(t, b) })
	t.Run("KilledWorkerIsRedelivered", func(t *testing.T) { killedWorker(t, b) })
	t.Run("PoisonIsDeadLettered", func(t *testing.T) { poison(t, b) })
	t.Run("FairShare", func(t *testing.T) { fairShare(t, b) })
}

var (
	generateOnce  sync.Once
	generatedPics []stacktest.Picture
)

// generated returns the end-to-end scenario's generated pictures, drawn once
// per test binary and shared by every backend: drawing them is most of the
// scenario's own CPU time under the race detector.
func generated(t *testing.T) []stacktest.Picture {
	t.Helper()
	generateOnce.Do(func() { generatedPics = stacktest.Generated(t, Generated, 1) })
	if len(generatedPics) != Generated {
		t.Fatal("drawing the generated pictures failed in another test")
	}
	return generatedPics
}

// stack is pixmill up on the backend, with a client of its API.
type stack struct {
	*stacktest.Proc
	c    *client.Client
	data string
}

func up(t *testing.T, b Backend, workers int, extra ...string) *stack {
	t.Helper()
	p := Params{ID: strings.ToLower(events.NewID()[:12]), MaxAttempts: MaxAttempts}
	u := b.Setup(t, p)
	if b.Teardown != nil {
		// Registered before pixmill up starts, so it runs after up stops.
		t.Cleanup(func() { b.Teardown(t, u) })
	}
	data := t.TempDir()
	args := append([]string{"--workers", fmt.Sprint(workers), "--max-attempts", fmt.Sprint(MaxAttempts), "--ack-wait", b.AckWait.String()}, u.args()...)
	args = append(args, extra...)
	proc := stacktest.Up(t, data, args...)
	return &stack{Proc: proc, c: client.New(proc.URL, nil), data: data}
}

// endToEnd is platform/stack's TestEndToEnd on the backend: upload real
// photos and generated pictures, run thumbnail + brightness, download every
// output and measure its size and lightness.
func endToEnd(t *testing.T, b Backend) {
	pics := append(stacktest.Photos(t), generated(t)...)
	s := up(t, b, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	start := time.Now()
	ids := stacktest.Upload(t, ctx, s.c, pics)
	uploaded := time.Since(start)
	job, err := s.c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp, stacktest.BrightnessOp}})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	job = stacktest.WaitFinal(t, ctx, s.c, job.ID)
	processed := time.Since(start)
	if job.State != api.JobSucceeded {
		t.Fatalf("job ended %s: %v", job.State, stacktest.Failures(job))
	}
	start = time.Now()
	if err := stacktest.CheckOutputs(ctx, s.c, job, ids, pics); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d pictures uploaded in %s, processed in %s (%.1f/s), downloaded and measured in %s",
		b.Name, len(pics), uploaded.Round(time.Millisecond), processed.Round(time.Millisecond),
		float64(len(pics))/processed.Seconds(), time.Since(start).Round(time.Millisecond))
}

// FairTasks is the size of owner A's job in the fair-share scenario: enough
// that without fair share B's one task would wait well past the 3 s it is
// given, at the pace of two workers on tiny pictures.
const FairTasks = 300

// fairShare is platform/stack's TestFairShare on the backend: owner A
// submits FairTasks pictures, owner B one 2 s later; B's task finishes
// within 3 s of its submission and both jobs succeed.
func fairShare(t *testing.T, b Backend) {
	s := up(t, b, 2, "--auth", "keys")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	key := func(name string) string {
		out, err := stacktest.Command(t, "keys", "create", "--owner", name, "--data", s.data)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	a := client.New(s.URL, nil, client.WithToken(key("ann")))
	bc := client.New(s.URL, nil, client.WithToken(key("ben")))
	r := stacktest.FairRun(t, ctx, a, bc, FairTasks, 2*time.Second)
	t.Logf("%s: A's %d tasks in %s (%.1f/s); B's one task done %s after its submission",
		b.Name, r.ATasks, r.AElapsed.Round(time.Millisecond), r.AThroughput(), r.BLatency.Round(time.Millisecond))
	if r.BLatency > 3*time.Second {
		t.Errorf("B's task finished %s after its submission, want within 3s", r.BLatency.Round(time.Millisecond))
	}
}

// killedWorker kills every worker while one holds a task; the broker hands
// the request out again once the lease is gone, and the task completes on
// its second attempt.
func killedWorker(t *testing.T, b Backend) {
	s := up(t, b, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ids := stacktest.Upload(t, ctx, s.c, stacktest.Generated(t, 1, 5))
	job, err := s.c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{json.RawMessage(`{"op":"sleep","millis":6000}`), stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	err = stacktest.Eventually(ctx, 50*time.Millisecond, func() (bool, error) {
		j, err := s.c.Job(ctx, job.ID)
		return err == nil && j.Tasks[0].State == api.TaskRunning, err
	})
	if err != nil {
		t.Fatalf("the task never ran: %v", err)
	}
	pids := workers(s.data)
	if len(pids) == 0 {
		t.Fatal("no worker process found")
	}
	killed := time.Now()
	kill(pids)
	done := stacktest.WaitFinal(t, ctx, s.c, job.ID)
	task := done.Tasks[0]
	if done.State != api.JobSucceeded || task.Attempts != 2 {
		t.Fatalf("job %s, task %+v: want success on the second attempt after the worker was killed", done.State, task)
	}
	t.Logf("%s: redelivered and done %s after the kill (lease %s)", b.Name, time.Since(killed).Round(time.Millisecond), b.AckWait)
}

// poison submits a request that kills its worker process on every attempt
// beside ordinary ones: it must be processed exactly MaxAttempts times, then
// parked on the dead-letter topic, its owner told why, while every other
// task succeeds.
func poison(t *testing.T, b Backend) {
	s := up(t, b, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	ids := stacktest.Upload(t, ctx, s.c, stacktest.Generated(t, 21, 3))
	bad, err := s.c.CreateJob(ctx, api.JobRequest{Images: ids[:1], Ops: []json.RawMessage{json.RawMessage(`{"op":"crash"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	others, err := s.c.CreateJob(ctx, api.JobRequest{Images: ids[1:], Ops: []json.RawMessage{stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	if done := stacktest.WaitFinal(t, ctx, s.c, others.ID); done.State != api.JobSucceeded {
		t.Fatalf("the ordinary job ended %s: %v", done.State, stacktest.Failures(done))
	}
	parked := stacktest.WaitFinal(t, ctx, s.c, bad.ID)
	task := parked.Tasks[0]
	want := fmt.Sprintf("gave up after %d attempts", MaxAttempts)
	if parked.State != api.JobFailed || task.Attempts != MaxAttempts || !strings.Contains(task.Error, want) {
		t.Fatalf("poison job %s, task %+v: want failed after exactly %d attempts with the reason", parked.State, task, MaxAttempts)
	}
	var list string
	err = stacktest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		out, err := stacktest.Command(t, "dlq", "list", "--data", s.data)
		list = out
		return strings.Contains(out, task.ID), err
	})
	if err != nil || !strings.Contains(list, want) {
		t.Fatalf("dlq list does not show the task with its reason (%v):\n%s", err, list)
	}
	t.Logf("%s: poison request parked after %d attempts, %s after submission", b.Name, MaxAttempts, time.Since(start).Round(time.Millisecond))
}

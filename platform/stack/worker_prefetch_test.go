package stack_test

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestKilledPrefetchKeepsItsAttempt kills (SIGKILL) a worker that runs one
// request and holds a second one it has prefetched and not started. Both
// come back once their lease runs out: the one that ran is on its second
// attempt, the held one on its first, since dying in a worker's hands
// before it started is no attempt.
func TestKilledPrefetchKeepsItsAttempt(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	data := t.TempDir()
	p := stacktest.Up(t, data, "--workers", "1", "--concurrency", "1", "--ack-wait", "2s", "--max-attempts", "2")
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ids := stacktest.Upload(t, ctx, c, stacktest.Generated(t, 2, 7))
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{json.RawMessage(`{"op":"sleep","millis":3000}`), stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	// One task running, and the server has delivered the other as well:
	// the worker holds it.
	var running, held string
	err = stacktest.Eventually(ctx, 20*time.Millisecond, func() (bool, error) {
		j, err := c.Job(ctx, job.ID)
		if err != nil {
			return false, err
		}
		running, held = "", ""
		for _, task := range j.Tasks {
			switch task.State {
			case api.TaskRunning:
				running = task.ID
			case api.TaskQueued:
				held = task.ID
			}
		}
		return running != "" && held != "" && queueBacklog(t, ctx, data).InFlight == 2, nil
	})
	if err != nil {
		t.Fatalf("never saw one task running and the other held: %v", err)
	}
	pids := p.Workers()
	if len(pids) != 1 {
		t.Fatalf("workers %v, want one", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	done := stacktest.WaitFinal(t, ctx, c, job.ID)
	if done.State != api.JobSucceeded {
		t.Fatalf("job ended %s: %v", done.State, stacktest.Failures(done))
	}
	want := map[string]int{running: 2, held: 1}
	for _, task := range done.Tasks {
		if task.Attempts != want[task.ID] {
			t.Errorf("task %s (%s before the kill) succeeded on attempt %d, want %d", task.ID, map[bool]string{true: "running", false: "held"}[task.ID == running], task.Attempts, want[task.ID])
		}
	}
}

package stack_test

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestPoisonRequestIsDeadLettered submits a request that kills its worker
// process on every attempt (the test-only crash op) beside 200 ordinary
// tasks. The poison request must be processed exactly max-attempts times,
// then parked on the dead-letter topic, its owner told why; every other task
// must succeed. Then it is redriven and parked again after a fresh count.
func TestPoisonRequestIsDeadLettered(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	data := t.TempDir()
	p := stacktest.Up(t, data, "--workers", "2", "--ack-wait", "2s", "--max-attempts", "4")
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	ids := stacktest.Upload(t, ctx, c, stacktest.Generated(t, 201, 3))
	poison, err := c.CreateJob(ctx, api.JobRequest{Images: ids[:1], Ops: []json.RawMessage{json.RawMessage(`{"op":"crash"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	others, err := c.CreateJob(ctx, api.JobRequest{Images: ids[1:], Ops: []json.RawMessage{stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}

	done := stacktest.WaitFinal(t, ctx, c, others.ID)
	if done.State != api.JobSucceeded {
		t.Fatalf("the ordinary job ended %s: %v", done.State, stacktest.Failures(done))
	}
	parked := stacktest.WaitFinal(t, ctx, c, poison.ID)
	task := parked.Tasks[0]
	if parked.State != api.JobFailed || task.Attempts != 4 || !strings.Contains(task.Error, "gave up after 4 attempts") {
		t.Fatalf("poison job %s, task %+v: want failed after exactly 4 attempts with the reason", parked.State, task)
	}

	var list string
	err = stacktest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		out, err := stacktest.Command(t, "dlq", "list", "--data", data)
		list = out
		return strings.Contains(out, task.ID), err
	})
	if err != nil || !strings.Contains(list, "gave up after 4 attempts") {
		t.Fatalf("dlq list does not show the task with its reason (%v):\n%s", err, list)
	}

	// Redrive: the request runs again with a fresh count, and is parked
	// again after 4 more attempts.
	if out, err := stacktest.Command(t, "dlq", "redrive", "--data", data, "--task", task.ID); err != nil || !strings.Contains(out, "redriven: 1") {
		t.Fatalf("redrive: %v %s", err, out)
	}
	if out, _ := stacktest.Command(t, "dlq", "list", "--data", data); strings.Contains(out, task.ID) {
		t.Errorf("the redriven task is still listed:\n%s", out)
	}
	err = stacktest.Eventually(ctx, 200*time.Millisecond, func() (bool, error) {
		j, err := c.Job(ctx, poison.ID)
		return err == nil && j.State == api.JobFailed && j.Tasks[0].Attempts == 4, err
	})
	if err != nil {
		t.Fatalf("the redriven poison request did not fail again after 4 attempts: %v", err)
	}
}

// TestLeaseIsExtended runs an edit three times as long as the lease: the
// worker extends its lease while it works, so the request is delivered once.
func TestLeaseIsExtended(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	p := stacktest.Up(t, t.TempDir(), "--workers", "2", "--ack-wait", "2s")
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ids := stacktest.Upload(t, ctx, c, stacktest.Generated(t, 1, 4))
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{json.RawMessage(`{"op":"sleep","millis":6000}`), stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	done := stacktest.WaitFinal(t, ctx, c, job.ID)
	if done.State != api.JobSucceeded || done.Tasks[0].Attempts != 1 {
		t.Fatalf("job %s, task %+v: want one attempt", done.State, done.Tasks[0])
	}
	if n := strings.Count(p.Log(), "worker stopped"); n != 0 {
		t.Errorf("workers stopped during the test:\n%s", p.Log())
	}
}

// TestWorkerDrainsOnSIGTERM stops a worker in the middle of a task: it must
// stop receiving, finish the task it holds, and exit 0, so the task is done
// once, with no redelivery.
func TestWorkerDrainsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	p := stacktest.Up(t, t.TempDir(), "--workers", "1", "--ack-wait", "2s")
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ids := stacktest.Upload(t, ctx, c, stacktest.Generated(t, 1, 6))
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{json.RawMessage(`{"op":"sleep","millis":3000}`), stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	err = stacktest.Eventually(ctx, 50*time.Millisecond, func() (bool, error) {
		j, err := c.Job(ctx, job.ID)
		return err == nil && j.Tasks[0].State == api.TaskRunning, err
	})
	if err != nil {
		t.Fatal(err)
	}
	pids := p.Workers()
	if len(pids) != 1 {
		t.Fatalf("workers %v, want one", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := stacktest.WaitFinal(t, ctx, c, job.ID)
	if done.State != api.JobSucceeded || done.Tasks[0].Attempts != 1 {
		t.Fatalf("job %s, task %+v: want it finished by the draining worker, once", done.State, done.Tasks[0])
	}
	// The worker logs its drain, then the fleet logs its exit status.
	err = stacktest.Eventually(ctx, 50*time.Millisecond, func() (bool, error) {
		return strings.Contains(p.Log(), "worker exited, restarting"), nil
	})
	log := p.Log()
	if err != nil || !strings.Contains(log, "acked=1") || !strings.Contains(log, "err=<nil>") {
		t.Errorf("want the worker to log its drain (acked=1) and exit 0 (%v):\n%s", err, log)
	}
}

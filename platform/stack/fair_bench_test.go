package stack_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// BenchmarkFairShareAlone is the price of fair share to an owner alone: one
// job of 400 tiny pictures on `pixmill up --workers 2`, timed from POST
// /v1/jobs until the job has ended, with the dispatcher's window (the
// default) and without it (--fair-window 0: every task sent at once), in
// the same run. Tiny pictures make each task short, so the time a freed
// slot takes to refill shows as much as it can. It reports both rates and
// their ratio, which should stay within 5 % of 1.
func BenchmarkFairShareAlone(b *testing.B) {
	const tasks = 400
	pics := stacktest.Tiny(b, tasks)
	for b.Loop() {
		fifo := aloneRate(b, pics, "--fair-window", "0")
		fair := aloneRate(b, pics, "--fair-window", "4")
		b.ReportMetric(fifo, "fifo-tasks/s")
		b.ReportMetric(fair, "fair-tasks/s")
		b.ReportMetric(fair/fifo, "fair/fifo")
	}
}

// aloneRate runs one job of pics on a fresh stack started with args, and
// returns its tasks per second.
func aloneRate(b *testing.B, pics []stacktest.Picture, args ...string) float64 {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	p := stacktest.Up(b, b.TempDir(), append([]string{"--workers", "2"}, args...)...)
	defer p.Stop()
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ids := stacktest.Upload(b, ctx, c, pics)
	start := time.Now()
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":48,"height":48}`)}})
	if err != nil {
		b.Fatal(err)
	}
	err = stacktest.Eventually(ctx, 20*time.Millisecond, func() (bool, error) {
		j, err := c.JobSummary(ctx, job.ID)
		if err == nil && j.State.Final() && j.State != api.JobSucceeded {
			b.Fatalf("job ended %s: %v", j.State, j.Counts)
		}
		return err == nil && j.State.Final(), err
	})
	if err != nil {
		b.Fatal(err)
	}
	return float64(len(pics)) / time.Since(start).Seconds()
}

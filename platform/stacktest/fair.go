package stacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
)

// Tiny returns n small JPEGs (96×72), each a different flat colour: for
// trials that count tasks, where the pixels hardly matter and speed does.
func Tiny(tb testing.TB, n int) []Picture {
	tb.Helper()
	out := make([]Picture, n)
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 96, 72))
		c := color.RGBA{uint8(i * 7), uint8(i * 13), uint8(i * 29), 255}
		for y := range 72 {
			for x := range 96 {
				img.Set(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, nil); err != nil {
			tb.Fatal(err)
		}
		out[i] = Picture{Name: fmt.Sprintf("tiny-%04d.jpg", i), Data: buf.Bytes()}
	}
	return out
}

// FairResult is what FairRun measured.
type FairResult struct {
	// ATasks is the size of A's job, AElapsed the time from its
	// submission until it ended.
	ATasks   int
	AElapsed time.Duration
	// BLatency is the time from the submission of B's one-picture job
	// until it ended.
	BLatency time.Duration
}

// AThroughput is A's tasks per second.
func (r FairResult) AThroughput() float64 { return float64(r.ATasks) / r.AElapsed.Seconds() }

// FairRun is the fair-share trial: owner a submits a job of n tiny
// pictures; after delay, owner b submits a job of one. It waits for both
// jobs, fails the test unless both succeeded in full, and returns the times.
func FairRun(tb testing.TB, ctx context.Context, a, b *client.Client, n int, delay time.Duration) FairResult {
	tb.Helper()
	pics := Tiny(tb, n+1)
	idsA := Upload(tb, ctx, a, pics[:n])
	idsB := Upload(tb, ctx, b, pics[n:])
	ops := []json.RawMessage{json.RawMessage(`{"op":"thumbnail","width":48,"height":48}`)}
	startA := time.Now()
	jobA, err := a.CreateJob(ctx, api.JobRequest{Images: idsA, Ops: ops})
	if err != nil {
		tb.Fatal(err)
	}
	select {
	case <-ctx.Done():
		tb.Fatal(ctx.Err())
	case <-time.After(delay):
	}
	startB := time.Now()
	jobB, err := b.CreateJob(ctx, api.JobRequest{Images: idsB, Ops: ops})
	if err != nil {
		tb.Fatal(err)
	}
	var doneB api.Job
	err = Eventually(ctx, 20*time.Millisecond, func() (bool, error) {
		var err error
		doneB, err = b.Job(ctx, jobB.ID)
		return err == nil && doneB.State.Final(), err
	})
	latency := time.Since(startB)
	if err != nil {
		tb.Fatalf("waiting for B's job: %v", err)
	}
	var doneA api.Job
	err = Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		var err error
		doneA, err = a.JobSummary(ctx, jobA.ID)
		return err == nil && doneA.State.Final(), err
	})
	elapsed := time.Since(startA)
	if err != nil {
		tb.Fatalf("waiting for A's job: %v", err)
	}
	if doneA.State != api.JobSucceeded {
		// The tasks, for Failures below; a summary has none.
		doneA, err = a.Job(ctx, jobA.ID)
		if err != nil {
			tb.Fatal(err)
		}
	}
	for _, j := range []struct {
		who string
		job api.Job
		n   int
	}{{"A", doneA, n}, {"B", doneB, 1}} {
		if j.job.State != api.JobSucceeded || j.job.Counts[api.TaskSucceeded] != j.n {
			tb.Errorf("%s's job ended %s with %v, want all %d tasks succeeded: %v", j.who, j.job.State, j.job.Counts, j.n, Failures(j.job))
		}
	}
	return FairResult{ATasks: n, AElapsed: elapsed, BLatency: latency}
}

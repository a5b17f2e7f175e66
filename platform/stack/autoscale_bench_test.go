package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// The benchmarks below run the real stack, each once per iteration (the
// Makefile runs them with every other benchmark; one iteration takes more
// than the default benchtime, so each runs once). They report their numbers
// with b.ReportMetric, in the format benchstat compares.

// benchOps are the edits of every benchmark: a thumbnail and a brightness
// change, as the end-to-end test makes.
var benchOps = []json.RawMessage{stacktest.ThumbOp, stacktest.BrightnessOp}

// benchMax is the autoscaler's maximum in the benchmarks: two workers per
// core, to show what more processes than cores give.
func benchMax() int { return 2 * runtime.NumCPU() }

// BenchmarkColdStart measures the time from submitting one task to a fleet
// at zero workers until the API reports it finished: the autoscaler's
// activation, a worker process starting (libvips included), the edit, and
// the response recorded. It takes the median of 7 starts.
func BenchmarkColdStart(b *testing.B) {
	const runs = 7
	for b.Loop() {
		p := stacktest.Up(b, b.TempDir(), "--max-workers", "1", "--scale-to-zero-after", "500ms")
		c := client.New(p.URL, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		ids := stacktest.Upload(b, ctx, c, stacktest.Generated(b, runs, 11))
		var times []time.Duration
		for i := range runs {
			waitWorkers(b, ctx, p, 0)
			start := time.Now()
			job, err := c.CreateJob(ctx, api.JobRequest{Images: ids[i : i+1], Ops: benchOps})
			if err != nil {
				b.Fatal(err)
			}
			done := waitFinalEvery(b, ctx, c, job.ID, 2*time.Millisecond)
			took := time.Since(start)
			if done.State != api.JobSucceeded {
				b.Fatalf("job %s", done.State)
			}
			times = append(times, took)
		}
		cancel()
		p.Stop()
		slices.Sort(times)
		b.ReportMetric(ms(times[len(times)/2]), "cold-start-median-ms")
		b.ReportMetric(ms(times[0]), "cold-start-min-ms")
		b.ReportMetric(ms(times[len(times)-1]), "cold-start-max-ms")
		b.Logf("cold starts: %v", times)
	}
}

// BenchmarkBurst submits 300 tasks at once to a fleet at zero and measures
// how soon the fleet reaches its maximum, how soon the batch is done, and
// the peak memory (VmHWM) of the worker processes.
func BenchmarkBurst(b *testing.B) {
	const tasks = 300
	maxWorkers := benchMax()
	for b.Loop() {
		p := stacktest.Up(b, b.TempDir(), "--max-workers", strconv.Itoa(maxWorkers), "--scale-to-zero-after", "2s")
		c := client.New(p.URL, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		ids := stacktest.Upload(b, ctx, c, repeatPictures(stacktest.Generated(b, 30, 12), tasks))
		waitWorkers(b, ctx, p, 0)

		var (
			mu      sync.Mutex
			toMax   time.Duration
			peakKiB int
		)
		start := time.Now()
		watchCtx, stopWatch := context.WithCancel(ctx)
		var watch sync.WaitGroup
		watch.Add(1)
		go func() {
			defer watch.Done()
			for watchCtx.Err() == nil {
				pids := p.Workers()
				mu.Lock()
				if len(pids) >= maxWorkers && toMax == 0 {
					toMax = time.Since(start)
				}
				for _, pid := range pids {
					peakKiB = max(peakKiB, int(stacktest.PeakRSS(pid)>>10))
				}
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}()
		job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: benchOps})
		if err != nil {
			b.Fatal(err)
		}
		done := waitFinalEvery(b, ctx, c, job.ID, 50*time.Millisecond)
		took := time.Since(start)
		stopWatch()
		watch.Wait()
		cancel()
		p.Stop()
		if done.State != api.JobSucceeded {
			b.Fatalf("job %s: %v", done.State, stacktest.Failures(done))
		}
		if toMax == 0 {
			b.Fatalf("the fleet never reached %d workers", maxWorkers)
		}
		b.ReportMetric(ms(toMax), "to-max-workers-ms")
		b.ReportMetric(float64(maxWorkers), "max-workers")
		b.ReportMetric(float64(tasks)/took.Seconds(), "burst-tasks/s")
		b.ReportMetric(float64(peakKiB)/1024, "worker-peak-MiB")
	}
}

// BenchmarkThroughput runs 200 tasks on fleets pinned at 1, 2 and the
// maximum workers, beside libvips making the same edits in this one process.
func BenchmarkThroughput(b *testing.B) {
	const tasks = 200
	pics := stacktest.Generated(b, 40, 13)
	for _, n := range []int{1, 2, benchMax()} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			for b.Loop() {
				p := stacktest.Up(b, b.TempDir(), "--workers", strconv.Itoa(n))
				c := client.New(p.URL, nil)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				ids := stacktest.Upload(b, ctx, c, repeatPictures(pics, tasks))
				waitWorkers(b, ctx, p, n)
				start := time.Now()
				job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: benchOps})
				if err != nil {
					b.Fatal(err)
				}
				done := waitFinalEvery(b, ctx, c, job.ID, 50*time.Millisecond)
				took := time.Since(start)
				cancel()
				p.Stop()
				if done.State != api.JobSucceeded {
					b.Fatalf("job %s: %v", done.State, stacktest.Failures(done))
				}
				b.ReportMetric(float64(tasks)/took.Seconds(), "tasks/s")
			}
		})
	}
	b.Run("libvips-in-process", func(b *testing.B) {
		var ops []imaging.Op
		for _, raw := range benchOps {
			op, err := imaging.Parse(raw)
			if err != nil {
				b.Fatal(err)
			}
			ops = append(ops, op)
		}
		all := repeatPictures(pics, tasks)
		for b.Loop() {
			start := time.Now()
			for _, pic := range all {
				if _, err := imaging.Process(context.Background(), pic.Data, ops, imaging.Output{Strip: true}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tasks)/time.Since(start).Seconds(), "tasks/s")
		}
	})
}

// repeatPictures returns n pictures taken in turn from pics, each with its
// own name.
func repeatPictures(pics []stacktest.Picture, n int) []stacktest.Picture {
	out := make([]stacktest.Picture, n)
	for i := range out {
		p := pics[i%len(pics)]
		out[i] = stacktest.Picture{Name: fmt.Sprintf("%03d-%s", i, p.Name), Data: p.Data}
	}
	return out
}

// waitWorkers waits until the stack runs exactly n worker processes.
func waitWorkers(tb testing.TB, ctx context.Context, p *stacktest.Proc, n int) {
	tb.Helper()
	if err := stacktest.Eventually(ctx, 5*time.Millisecond, func() (bool, error) { return len(p.Workers()) == n, nil }); err != nil {
		tb.Fatalf("waiting for %d workers: %v (running %v)", n, err, p.Workers())
	}
}

// waitFinalEvery is waitFinal polling at the given interval. A failed poll
// is tried again: polled every few milliseconds, a job's listing can meet a
// record being written (the file bucket's temporary file, listed and gone).
func waitFinalEvery(tb testing.TB, ctx context.Context, c *client.Client, id string, every time.Duration) api.Job {
	tb.Helper()
	var (
		job     api.Job
		lastErr error
	)
	err := stacktest.Eventually(ctx, every, func() (bool, error) {
		j, err := c.Job(ctx, id)
		if err != nil {
			lastErr = err
			return false, nil
		}
		job = j
		return job.State.Final(), nil
	})
	if err != nil {
		tb.Fatalf("waiting for job %s: %v (last error %v)", id, err, lastErr)
	}
	return job
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// photoThumb is the edit users make most: a 256×256 thumbnail, as JPEG.
var photoThumb = json.RawMessage(`{"op":"thumbnail","width":256,"height":256}`)

// photoCase is a real-photo workload: the photos, how many tasks, and how
// many clients follow the job's event stream while it runs.
type photoCase struct {
	name     string
	pick     func(megapixels float64) bool
	tasks    int
	watchers int
	workers  int
}

// BenchmarkPhotos is what users get: a job of real photos through the whole
// stack (gateway, embedded queue, worker processes, results, records),
// timed from POST /v1/jobs to the end event of the job's stream, beside
// libvips making the same thumbnails of the same bytes in this one process
// with as many goroutines as the stack has workers, in the same run. It
// reports the ratio of the two, the CPU that `pixmill up` (everything but
// the workers) and the workers spent per task, from /proc, and the workers'
// peak memory.
func BenchmarkPhotos(b *testing.B) {
	cpus := runtime.NumCPU()
	cases := []photoCase{
		{name: "photos-1-5MP", pick: between(1, 5), tasks: 720, workers: cpus},
		{name: "photos-1-5MP-25-watchers", pick: between(1, 5), tasks: 720, watchers: 25, workers: cpus},
		{name: "photo-18MP", pick: between(15, 25), tasks: 40, workers: cpus},
		{name: "photos-2000-tasks", pick: between(0, 25), tasks: 2000, workers: cpus},
	}
	all := stacktest.Photos(b)
	b.Logf("load before: %s", loadavg())
	defer func() { b.Logf("load after: %s", loadavg()) }()
	for _, c := range cases {
		pics := pickPhotos(b, all, c.pick)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				inProcess := libvipsRate(b, pics, c.tasks, c.workers)
				r := runPhotos(b, pics, c)
				b.ReportMetric(r.rate, "tasks/s")
				b.ReportMetric(inProcess, "libvips-tasks/s")
				b.ReportMetric(r.rate/inProcess, "ratio")
				b.ReportMetric(ms(r.upCPU)/float64(c.tasks), "up-cpu-ms/task")
				b.ReportMetric(ms(r.workerCPU)/float64(c.tasks), "worker-cpu-ms/task")
				b.ReportMetric(float64(r.workerPeak)/(1<<20), "worker-peak-MiB")
			}
		})
	}
}

// between picks photos of lo to hi megapixels.
func between(lo, hi float64) func(float64) bool {
	return func(mp float64) bool { return mp >= lo && mp < hi }
}

func pickPhotos(b *testing.B, all []stacktest.Picture, pick func(float64) bool) []stacktest.Picture {
	b.Helper()
	var out []stacktest.Picture
	for _, p := range all {
		info, err := imaging.Probe(p.Data)
		if err != nil {
			b.Fatal(err)
		}
		if pick(float64(info.Width*info.Height) / 1e6) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		b.Fatal("no photo of that size")
	}
	return out
}

// libvipsRate is thumbnails per second of the same bytes, in this process,
// with n goroutines: the libvips limit the stack is measured against.
func libvipsRate(b *testing.B, pics []stacktest.Picture, tasks, n int) float64 {
	b.Helper()
	op, err := imaging.Parse(photoThumb)
	if err != nil {
		b.Fatal(err)
	}
	all := repeatPictures(pics, tasks)
	var g errgroup.Group
	g.SetLimit(n)
	start := time.Now()
	for _, pic := range all {
		g.Go(func() error {
			_, err := imaging.Process(context.Background(), pic.Data, []imaging.Op{op}, imaging.Output{Format: "jpeg", Strip: true})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	return float64(tasks) / time.Since(start).Seconds()
}

type photoRun struct {
	rate             float64
	upCPU, workerCPU time.Duration
	workerPeak       int64
}

// runPhotos runs c on a fresh `pixmill up` with c.workers pinned workers.
func runPhotos(b *testing.B, pics []stacktest.Picture, c photoCase) photoRun {
	b.Helper()
	p := stacktest.Up(b, b.TempDir(), "--workers", fmt.Sprint(c.workers))
	defer p.Stop()
	cl := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	ids := stacktest.Upload(b, ctx, cl, repeatPictures(pics, c.tasks))
	waitWorkers(b, ctx, p, c.workers)
	workers := p.Workers()
	up0, w0 := stacktest.CPUTime(p.Pid()), workersCPU(workers)

	start := time.Now()
	job, err := cl.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{photoThumb}, Format: "jpeg"})
	if err != nil {
		b.Fatal(err)
	}
	var watchers sync.WaitGroup
	for range c.watchers {
		watchers.Go(func() {
			if _, err := stacktest.Follow(ctx, p.URL, job.ID); err != nil {
				b.Error(err)
			}
		})
	}
	if _, err := stacktest.Follow(ctx, p.URL, job.ID); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	watchers.Wait()
	r := photoRun{
		rate:      float64(c.tasks) / took.Seconds(),
		upCPU:     stacktest.CPUTime(p.Pid()) - up0,
		workerCPU: workersCPU(workers) - w0,
	}
	for _, pid := range workers {
		r.workerPeak = max(r.workerPeak, stacktest.PeakRSS(pid))
	}
	if now := p.Workers(); !slices.Equal(now, workers) {
		b.Logf("workers changed during the run (%v, now %v): their CPU is undercounted", workers, now)
	}
	done, err := cl.Job(ctx, job.ID)
	if err != nil || done.State != api.JobSucceeded {
		b.Fatalf("job %s: %v %v", done.State, err, stacktest.Failures(done))
	}
	return r
}

func workersCPU(pids []int) time.Duration {
	var t time.Duration
	for _, pid := range pids {
		t += stacktest.CPUTime(pid)
	}
	return t
}

// loadavg is the machine's load, noted beside the results: other work on
// the machine slows both sides of a ratio, but not always alike.
func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/embedded/embeddedtest"
	"github.com/pixmill/pixmill/platform/jetstream"
	"github.com/pixmill/pixmill/platform/stack"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// workerShape is one way to run the worker processes of one machine.
type workerShape struct {
	workers, concurrency, threads, prefetch int
}

func (s workerShape) String() string {
	return fmt.Sprintf("workers=%d/concurrency=%d/threads=%d/prefetch=%d", s.workers, s.concurrency, s.threads, s.prefetch)
}

// BenchmarkWorkers runs `pixmill worker` processes on a queue of real-photo
// thumbnail requests (the photos of PIXMILL_PHOTOS, 256×256 thumbnails) and
// measures tasks/s and the share of the task slots' time in which no task
// ran while requests waited, for each shape: prefetch off and on, concurrency and
// libvips threads per worker. libvips-in-process is the yardstick: the same
// thumbnails made by NumCPU goroutines in this process, no queue, no
// bucket. The queue is an embedded JetStream server, the bucket a file
// bucket, as `pixmill up` runs them.
//
// Each iteration runs every request once after a warm-up; the Makefile runs
// one iteration.
func BenchmarkWorkers(b *testing.B) {
	photos := stacktest.Photos(b)
	tasks := 3 * len(photos)
	env := startBenchQueue(b, photos)
	cpus := runtime.NumCPU()
	shapes := []workerShape{
		{cpus, 1, 1, 0}, // before issue 12: the next request fetched after the last was acked
		{cpus, 1, 1, 1}, // the default: one task per CPU across the fleet, prefetching
		{1, cpus, 1, 0},
		{1, cpus, 1, 1}, // one worker alone on the machine
		{cpus, 1, 2, 1}, // two libvips threads per picture
		{cpus, 2, 1, 1}, // twice as many tasks as CPUs
	}
	for i, s := range shapes {
		b.Run(s.String(), func(b *testing.B) {
			for b.Loop() {
				tps, idle := env.run(b, fmt.Sprintf("s%d", i), s, tasks)
				b.ReportMetric(tps, "tasks/s")
				b.ReportMetric(idle, "slot-idle-%")
			}
		})
	}
	b.Run("libvips-in-process", func(b *testing.B) {
		op, err := imaging.Parse(stacktest.ThumbOp)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			start := time.Now()
			var wg sync.WaitGroup
			next := make(chan []byte)
			for range cpus {
				wg.Go(func() {
					for data := range next {
						if _, err := imaging.Process(context.Background(), data, []imaging.Op{op}, imaging.Output{Format: "jpeg", Strip: true}); err != nil {
							b.Error(err)
						}
					}
				})
			}
			for i := range tasks {
				next <- photos[i%len(photos)].Data
			}
			close(next)
			wg.Wait()
			b.ReportMetric(float64(tasks)/time.Since(start).Seconds(), "tasks/s")
		}
	})
}

// benchQueue is an embedded JetStream server and a file bucket holding the
// photos as originals.
type benchQueue struct {
	addr   string
	js     natsjs.JetStream
	bucket string
	keys   []string
}

func startBenchQueue(b *testing.B, photos []stacktest.Picture) *benchQueue {
	b.Helper()
	ctx := context.Background()
	srv, js := embeddedtest.Start(b, "")
	dir := b.TempDir()
	bucketURL := "file://" + dir
	bkt, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		b.Fatal(err)
	}
	defer bkt.Close()
	q := &benchQueue{addr: srv.Addr(), js: js, bucket: bucketURL}
	for _, p := range photos {
		key := records.ImageKey("bench", strings.TrimSuffix(p.Name, filepath.Ext(p.Name)))
		if err := bkt.WriteAll(ctx, key, p.Data, nil); err != nil {
			b.Fatal(err)
		}
		q.keys = append(q.keys, key)
	}
	return q
}

// run starts s.workers worker processes on fresh streams named after name,
// lets them finish a warm-up round, then queues tasks requests at once and
// waits for every completion. It returns tasks/s and slotIdle.
func (q *benchQueue) run(b *testing.B, name string, s workerShape, tasks int) (float64, float64) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	subject := "bench." + name + "."
	for _, st := range []string{"requests", "responses"} {
		if _, err := jetstream.EnsureStream(ctx, q.js, "BENCH_"+strings.ToUpper(name+"_"+st), []string{subject + st}, nil); err != nil {
			b.Fatal(err)
		}
	}
	base := "jetstream://" + q.addr + "/" + subject
	requests, err := pubsub.OpenTopic(ctx, base+"requests")
	if err != nil {
		b.Fatal(err)
	}
	defer requests.Shutdown(context.Background())
	responses, err := pubsub.OpenSubscription(ctx, base+"responses?consumer=bench")
	if err != nil {
		b.Fatal(err)
	}
	defer responses.Shutdown(context.Background())

	bin := stacktest.Binary(b)
	var procs []*exec.Cmd
	for range s.workers {
		cmd := exec.Command(bin, "worker")
		cmd.Env = append(os.Environ(),
			stack.EnvBucket+"="+q.bucket,
			stack.EnvRequestsSubscription+"="+base+"requests?consumer=workers",
			stack.EnvResponsesTopic+"="+base+"responses",
			stack.EnvConcurrency+"="+strconv.Itoa(s.concurrency),
			stack.EnvVipsThreads+"="+strconv.Itoa(s.threads),
			stack.EnvPrefetch+"="+strconv.Itoa(s.prefetch),
		)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		procs = append(procs, cmd)
	}
	defer func() {
		for _, cmd := range procs {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}
	}()

	send := func(n int) {
		for i := range n {
			job, task := events.NewID(), events.NewID()
			e, err := events.New(events.SourceGateway, time.Now(), events.TaskRequested{
				Job: job, Task: task, Owner: "bench", Image: task,
				Original: q.keys[i%len(q.keys)],
				Ops:      []json.RawMessage{stacktest.ThumbOp},
				Output:   events.Output{Key: records.OutputKey("bench", job, task, ".jpg"), Format: "jpeg"},
			})
			if err != nil {
				b.Fatal(err)
			}
			if err := events.Send(ctx, requests, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	bkt, err := blob.OpenBucket(ctx, q.bucket)
	if err != nil {
		b.Fatal(err)
	}
	defer bkt.Close()
	// began is when the attempt that completed started, by the worker's
	// clock: the edit function records it in the task's started-{n}
	// record (it publishes no task.started).
	began := func(c events.TaskCompleted) time.Time {
		data, err := bkt.ReadAll(ctx, fmt.Sprintf("records/jobs/%s/tasks/%s/started-%d.json", c.Job, c.Task, c.Attempt))
		if err != nil {
			b.Fatal(err)
		}
		var rec struct {
			At time.Time `json:"at"`
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			b.Fatal(err)
		}
		return rec.At
	}
	// await waits for n completions and returns when each task ran, by
	// the workers' clocks (its started record and task.completed times).
	await := func(n int) []span {
		var spans []span
		for len(spans) < n {
			m, err := responses.Receive(ctx)
			if err != nil {
				b.Fatal(err)
			}
			m.Ack()
			e, err := events.FromMessage(m)
			if err != nil {
				b.Fatal(err)
			}
			switch e.Type() {
			case events.TypeTaskCompleted:
				var c events.TaskCompleted
				if err := events.Decode(e, &c); err != nil {
					b.Fatal(err)
				}
				spans = append(spans, span{began(c), e.Time()})
			case events.TypeTaskFailed:
				b.Fatalf("a task failed: %s", m.Body)
			}
		}
		return spans
	}
	warm := 2 * s.workers * s.concurrency
	send(warm)
	await(warm)

	start := time.Now()
	send(tasks)
	spans := await(tasks)
	wall := time.Since(start)
	return float64(tasks) / wall.Seconds(), slotIdle(spans, start, s.workers*s.concurrency)
}

// span is when one task ran.
type span struct{ start, end time.Time }

// slotIdle is the share of the slots' time in which no task ran,
// in per cent, from from until the last task started: while requests
// waited. The queue's tail, when some slots have nothing left to take, is
// not idleness a worker could avoid, and is left out.
func slotIdle(spans []span, from time.Time, slots int) float64 {
	last := from
	for _, s := range spans {
		if s.start.After(last) {
			last = s.start
		}
	}
	var busy time.Duration
	for _, s := range spans {
		start, end := s.start, s.end
		if start.Before(from) {
			start = from
		}
		if end.After(last) {
			end = last
		}
		if end.After(start) {
			busy += end.Sub(start)
		}
	}
	window := time.Duration(slots) * last.Sub(from)
	if window <= 0 {
		return 0
	}
	return 100 * (1 - float64(busy)/float64(window))
}

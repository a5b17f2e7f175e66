package gateway

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gocloud.dev/pubsub/mempubsub"

	"github.com/pixmill/pixmill/platform/api"
)

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSubmit is POST /v1/jobs of 5,000 photos already uploaded, on a
// file bucket; requests go to an in-memory topic, so this is the gateway's
// own share (reading the image records, writing the job's).
func BenchmarkSubmit(b *testing.B) {
	const photos = 5000
	topic := mempubsub.NewTopic()
	sub := mempubsub.NewSubscription(topic, time.Hour)
	b.Cleanup(func() { _ = sub.Shutdown(context.Background()) })
	e := newEnvWith(b, Config{}, topic, fileBucket(b))
	ids := e.putImages(b, photos)
	req := map[string]any{"images": ids, "ops": []any{map[string]any{"op": "thumbnail", "width": 256}}}
	for b.Loop() {
		var job api.Job
		if st := e.postJSON(b, LocalOwner, "/v1/jobs", req, &job); st != http.StatusAccepted || len(job.Tasks) != photos {
			b.Fatalf("submit: %d, %d tasks", st, len(job.Tasks))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/job")
}

// BenchmarkWatchers follows a job of 1,000 tasks with 25 clients while the
// tasks end at 200 a second, at the production tick of 500ms, on a file
// bucket, with a gateway told of the changes (pixmill up) and with one that
// polls (a gateway alone). It reports the bucket's work and this process's
// CPU time per task; the CPU includes writing the records and the 25
// clients' reading.
func BenchmarkWatchers(b *testing.B) {
	const (
		tasks    = 1000
		watchers = 25
		perTask  = 5 * time.Millisecond
	)
	defer func(d time.Duration) { eventsEvery = d }(eventsEvery)
	eventsEvery = 500 * time.Millisecond
	for _, told := range []bool{true, false} {
		b.Run(map[bool]string{true: "told", false: "polling"}[told], func(b *testing.B) {
			c := newCounting(b, told)
			// Real ticks and the real clock here.
			c.gw.feeds.wait, c.gw.feeds.now = waitTick, time.Now
			var lists, listed, reads int64
			var cpu time.Duration
			for b.Loop() {
				j := c.putJob(b, tasks)
				before, cpu0 := c.reads.snapshot(), cpuTime(b)
				var ended sync.WaitGroup
				for range watchers {
					ended.Add(1)
					go func() {
						defer ended.Done()
						readUntilEnd(b, c.srv.URL, j.ID)
					}()
				}
				for i := range tasks {
					c.complete(b, j, i)
					time.Sleep(perTask)
				}
				ended.Wait()
				got := c.reads.snapshot().minus(before)
				lists, listed, reads = lists+got.lists, listed+got.listed, reads+got.reads
				cpu += cpuTime(b) - cpu0
			}
			n := float64(b.N * tasks)
			b.ReportMetric(float64(lists)/n, "lists/task")
			b.ReportMetric(float64(listed)/n, "listed/task")
			b.ReportMetric(float64(reads)/n, "reads/task")
			b.ReportMetric(float64(cpu.Microseconds())/1000/n, "cpu-ms/task")
		})
	}
}

// readUntilEnd follows a job's events until its end event, without
// decoding them.
func readUntilEnd(b *testing.B, base, job string) {
	resp, err := http.Get(base + "/v1/jobs/" + job + "/events")
	if err != nil {
		b.Error(err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "event: end") {
			return
		}
	}
	b.Errorf("stream of job %s ended without an end event: %v", job, sc.Err())
}

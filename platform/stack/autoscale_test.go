package stack_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stack"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestAutoscale runs the real stack with the autoscaler on: idle at zero
// workers, 300 tasks submitted at once, workers up to the maximum, every task
// done on its first delivery (so no scale-down released one), and the fleet
// back at zero within the grace period plus one tick. The job is submitted
// under a trace, which must come back on the responses.
func TestAutoscale(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	const (
		maxWorkers = 3
		grace      = 3 * time.Second
		tick       = time.Second // the default
		tasks      = 300
	)
	data := t.TempDir()
	p := stacktest.Up(t, data, "--max-workers", strconv.Itoa(maxWorkers), "--scale-to-zero-after", grace.String())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Idle: no worker, and none started while nothing is queued.
	for range 5 {
		if w := p.Workers(); len(w) != 0 {
			t.Fatalf("workers %v at start, want none", w)
		}
		if m := scrapeMetrics(t, p.URL); m[`pixmill_workers{state="running"}`] != 0 || m["pixmill_workers_desired"] != 0 {
			t.Fatalf("metrics at start: %v", m)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// 30 small pictures, each uploaded 10 times: 300 images.
	pics := stacktest.Generated(t, 30, 5)
	var all []stacktest.Picture
	for i := range tasks {
		pic := pics[i%len(pics)]
		all = append(all, stacktest.Picture{Name: fmt.Sprintf("%03d-%s", i, pic.Name), Data: pic.Data})
	}
	c := client.New(p.URL, nil)
	ids := stacktest.Upload(t, ctx, c, all)

	// The responses, read straight off the embedded broker, for the trace.
	traces := watchResponses(t, data)

	// Watch the fleet as the gateway's metrics show it: the most workers
	// running, and when the running ones went back to zero. (A retired
	// worker drains: it finishes what it holds and stays connected until
	// its last pull on the broker expires, then exits.)
	var (
		mu       sync.Mutex
		most     int
		zeroAt   time.Time
		watching = true
	)
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for {
			m, err := readMetrics(p.URL)
			n := int(m[`pixmill_workers{state="running"}`])
			now := time.Now()
			mu.Lock()
			most = max(most, n, len(p.Workers()))
			switch {
			case err != nil:
			case n > 0:
				zeroAt = time.Time{}
			case zeroAt.IsZero() && most > 0:
				zeroAt = now
			}
			mu.Unlock()
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	defer func() {
		if watching {
			close(stopWatch)
			<-watchDone
		}
	}()

	const traceID = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e"
	traced := client.New(p.URL, &http.Client{Transport: headerTransport{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"}})
	submitted := time.Now()
	job, err := traced.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp}})
	if err != nil {
		t.Fatal(err)
	}
	done := stacktest.WaitFinal(t, ctx, c, job.ID)
	finished := time.Now()
	if done.State != api.JobSucceeded || len(done.Tasks) != tasks {
		t.Fatalf("job %s with %d tasks: %v", done.State, len(done.Tasks), stacktest.Failures(done))
	}
	for _, task := range done.Tasks {
		if task.Attempts != 1 {
			t.Errorf("task %s took %d attempts, want 1: a request was delivered again", task.Name, task.Attempts)
		}
	}

	// Back to zero within the grace period plus one tick of the last work.
	err = stacktest.Eventually(ctx, 20*time.Millisecond, func() (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return !zeroAt.IsZero(), nil
	})
	if err != nil {
		t.Fatalf("the fleet did not return to zero: %v", err)
	}
	close(stopWatch)
	<-watchDone
	watching = false
	// And the retired processes are gone soon after.
	exitCtx, cancelExit := context.WithTimeout(ctx, 5*time.Second)
	defer cancelExit()
	if err := stacktest.Eventually(exitCtx, 20*time.Millisecond, func() (bool, error) { return len(p.Workers()) == 0, nil }); err != nil {
		t.Errorf("worker processes %v still running 5s after the fleet went to zero", p.Workers())
	}

	mu.Lock()
	defer mu.Unlock()
	toZero := zeroAt.Sub(finished)
	t.Logf("max %d workers; %d tasks done in %s; zero workers %s after the job finished",
		most, tasks, finished.Sub(submitted).Round(time.Millisecond), toZero.Round(time.Millisecond))
	if most != maxWorkers {
		t.Errorf("at most %d workers ran, want the maximum %d", most, maxWorkers)
	}
	if limit := grace + tick + 200*time.Millisecond; toZero > limit {
		t.Errorf("zero workers %s after the last task, want within %s (grace %s + tick %s)", toZero, limit, grace, tick)
	}
	// The grace period runs from the last look that saw work, up to a tick
	// before the job was seen finished here.
	if toZero < grace-tick-500*time.Millisecond {
		t.Errorf("zero workers %s after the last task, before the grace period of %s", toZero, grace)
	}

	m := scrapeMetrics(t, p.URL)
	for series, want := range map[string]float64{
		`pixmill_tasks_total{outcome="succeeded"}`: tasks,
		"pixmill_task_attempts_count":              tasks,
		"pixmill_task_attempts_sum":                tasks, // every one on its first attempt
		"pixmill_requests_queued_total":            tasks,
		"pixmill_queue_waiting":                    0,
		"pixmill_queue_in_flight":                  0,
		`pixmill_workers{state="running"}`:         0,
	} {
		if m[series] != want {
			t.Errorf("%s = %v, want %v", series, m[series], want)
		}
	}
	if n := traces.count(traceID); n < tasks {
		t.Errorf("%d responses carried the job's trace %s, want at least %d (one task.completed per task)", n, traceID, tasks)
	}
}

type headerTransport map[string]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// scrapeMetrics reads the gateway's /metrics into series → value.
func scrapeMetrics(t *testing.T, base string) map[string]float64 {
	t.Helper()
	m, err := readMetrics(base)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readMetrics(base string) (map[string]float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// responseTraces counts the responses by the trace they carry.
type responseTraces struct {
	mu      sync.Mutex
	byTrace map[string]int
}

func (r *responseTraces) count(traceID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byTrace[traceID]
}

// watchResponses subscribes, with plain NATS, to the responses subject of
// the embedded JetStream of the stack on data: a subscriber beside the
// stream sees every message published, without taking it from the stream.
func watchResponses(t *testing.T, data string) *responseTraces {
	t.Helper()
	ep, err := stack.ReadEndpoints(data)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(ep.ResponsesTopic)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("nats://" + u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	r := &responseTraces{byTrace: map[string]int{}}
	_, err = nc.Subscribe(strings.TrimPrefix(u.Path, "/"), func(m *nats.Msg) {
		if m.Header.Get("ce-type") != "dev.pixmill.task.completed.v1" {
			return
		}
		if f := strings.Split(m.Header.Get("ce-traceparent"), "-"); len(f) == 4 {
			r.mu.Lock()
			r.byTrace[f[1]]++
			r.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

package metrics

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"gocloud.dev/blob/memblob"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/autoscaler"
	"github.com/pixmill/pixmill/platform/runner"
)

// scrape reads h's Prometheus text into series → value, the series written
// as in the text (name{labels}).
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// pick returns the series of m whose names start with prefix.
func pick(m map[string]float64, prefixes ...string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				out[k] = v
			}
		}
	}
	return out
}

func delivery(t *testing.T, attempt int, d events.Data) *runner.Delivery {
	t.Helper()
	e, err := events.New(events.SourceGateway, time.Now(), d)
	if err != nil {
		t.Fatal(err)
	}
	return &runner.Delivery{Event: e, Attempt: attempt}
}

func request(ops ...string) events.TaskRequested {
	var raw []json.RawMessage
	for _, op := range ops {
		raw = append(raw, json.RawMessage(`{"op":"`+op+`"}`))
	}
	return events.TaskRequested{Job: "j", Task: "t", Owner: "o", Image: "i", Original: "originals/i", Ops: raw, Output: events.Output{Key: "results/j/t.jpg"}}
}

func TestWorker(t *testing.T) {
	w := NewWorker([]string{"thumbnail", "brightness", "crop"})
	run := func(d *runner.Delivery, took time.Duration, err error) {
		w.Begin(d)
		w.End(d, err, took)
	}
	run(delivery(t, 1, request("thumbnail", "brightness", "thumbnail", "made-up")), 30*time.Millisecond, nil)
	run(delivery(t, 3, request("crop")), 5*time.Second, fault.New(fault.Transient, "bucket down"))
	run(&runner.Delivery{DecodeErr: fault.New(fault.InvalidArgument, "garbage"), Event: cloudevents.NewEvent(), Attempt: 1}, time.Millisecond, fault.New(fault.InvalidArgument, "garbage"))

	got := pick(scrape(t, w.Handler()), "pixmill_worker_deliveries_total", "pixmill_worker_tasks_in_flight", "pixmill_worker_task_duration_seconds_count", "pixmill_worker_delivery_attempt_sum")
	want := map[string]float64{
		`pixmill_worker_deliveries_total{outcome="acked"}`:                 1,
		`pixmill_worker_deliveries_total{outcome="nacked"}`:                1,
		`pixmill_worker_deliveries_total{outcome="rejected"}`:              1,
		`pixmill_worker_tasks_in_flight`:                                   0,
		`pixmill_worker_task_duration_seconds_count{op="thumbnail"}`:       1, // once, though applied twice
		`pixmill_worker_task_duration_seconds_count{op="brightness"}`:      1,
		`pixmill_worker_task_duration_seconds_count{op="crop"}`:            1,
		`pixmill_worker_task_duration_seconds_count{op="` + OtherOp + `"}`: 1,
		`pixmill_worker_delivery_attempt_sum`:                              5,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWorkerBucketBytes(t *testing.T) {
	w := NewWorker(nil)
	w.CountBucketBytes()
	defer otel.SetMeterProvider(nil)
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	if err := b.WriteAll(ctx, "results/x", make([]byte, 1234), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadAll(ctx, "results/x"); err != nil {
		t.Fatal(err)
	}
	got := pick(scrape(t, w.Handler()), "pixmill_worker_read_bytes_total", "pixmill_worker_written_bytes_total")
	want := map[string]float64{"pixmill_worker_read_bytes_total": 1234, "pixmill_worker_written_bytes_total": 1234}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

type fixedSignal autoscaler.Backlog

func (s fixedSignal) Backlog(context.Context) (autoscaler.Backlog, error) {
	return autoscaler.Backlog(s), nil
}

func TestUp(t *testing.T) {
	u := NewUp()
	u.WatchFleet(func() (int, int) { return 3, 1 })
	u.WatchBacklog(fixedSignal{Waiting: 7, InFlight: 2})
	for _, task := range []string{"a", "b", "c"} {
		u.Queued(task)
	}
	respond := func(d events.Data, err error) {
		dl := delivery(t, 1, d)
		u.Begin(dl)
		u.End(dl, err, time.Millisecond)
	}
	respond(events.TaskStarted{Job: "j", Task: "a", Owner: "o", Attempt: 1}, nil)
	respond(events.TaskCompleted{Job: "j", Task: "a", Owner: "o", Attempt: 1, Result: events.Result{Key: "k", Format: "jpeg", ContentType: "image/jpeg", Width: 1, Height: 1, Bytes: 500}}, nil)
	respond(events.TaskCompleted{Job: "j", Task: "a", Owner: "o", Attempt: 1, Result: events.Result{Key: "k", Format: "jpeg", ContentType: "image/jpeg", Width: 1, Height: 1, Bytes: 500}}, fault.New(fault.Transient, "store down")) // not recorded: not counted
	respond(events.TaskFailed{Job: "j", Task: "b", Owner: "o", Attempt: 5, Kind: "transient", Reason: "gave up", DeadLettered: true}, nil)
	respond(events.TaskStarted{Job: "j", Task: "c", Owner: "o", Attempt: 1}, nil)
	u.Decided(autoscaler.Observation{}, autoscaler.Decision{Desired: 4, Panic: true})

	got := pick(scrape(t, u.Handler()), "pixmill_requests_queued_total", "pixmill_tasks_total", "pixmill_task_attempts_sum", "pixmill_result_bytes_total", "pixmill_workers", "pixmill_autoscaler_panic", "pixmill_queue_")
	want := map[string]float64{
		"pixmill_requests_queued_total":                3,
		`pixmill_tasks_total{outcome="succeeded"}`:     1,
		`pixmill_tasks_total{outcome="failed"}`:        0,
		`pixmill_tasks_total{outcome="dead_lettered"}`: 1,
		"pixmill_task_attempts_sum":                    6,
		"pixmill_result_bytes_total":                   500,
		`pixmill_workers{state="running"}`:             3,
		`pixmill_workers{state="draining"}`:            1,
		"pixmill_workers_desired":                      4,
		"pixmill_autoscaler_panic":                     1,
		"pixmill_queue_waiting":                        7,
		"pixmill_queue_in_flight":                      2,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if b, _ := u.Outstanding().Backlog(context.Background()); b != (autoscaler.Backlog{InFlight: 1, Completed: 2}) {
		t.Errorf("outstanding %+v, want c in flight and two finished", b)
	}
}

// TestQueuedElsewhere is a gateway that runs alone: what it publishes is
// counted, and nothing is kept for a response that never comes here.
func TestQueuedElsewhere(t *testing.T) {
	u := NewUp()
	for _, task := range []string{"a", "b"} {
		u.QueuedElsewhere(task)
	}
	if got := pick(scrape(t, u.Handler()), "pixmill_requests_queued_total"); got["pixmill_requests_queued_total"] != 2 {
		t.Errorf("%v, want 2 queued", got)
	}
	if b, _ := u.Outstanding().Backlog(context.Background()); b != (autoscaler.Backlog{}) {
		t.Errorf("outstanding %+v, want nothing", b)
	}
}

func TestTraceHTTP(t *testing.T) {
	shutdown := StartTracing()
	defer shutdown(context.Background())
	var got trace.SpanContext
	h := TraceHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = trace.SpanContextFromContext(r.Context())
	}))
	for _, tt := range []struct {
		name, header, traceID string
	}{
		{"a caller's trace", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"no trace: a new one", "", ""},
	} {
		r := httptest.NewRequest("POST", "/v1/jobs", nil)
		if tt.header != "" {
			r.Header.Set("traceparent", tt.header)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if !got.IsValid() || got.IsRemote() {
			t.Errorf("%s: span context %v, want a local span", tt.name, got)
		}
		if tt.traceID != "" && got.TraceID().String() != tt.traceID {
			t.Errorf("%s: trace %s, want %s", tt.name, got.TraceID(), tt.traceID)
		}
	}
}

// BenchmarkDeliveryOverhead is what the worker's instrumentation adds to
// each task: the span, the metrics, the op names decoded.
func BenchmarkDeliveryOverhead(b *testing.B) {
	shutdown := StartTracing()
	defer shutdown(context.Background())
	w := NewWorker([]string{"thumbnail", "brightness"})
	h := runner.Trace(nil)(runner.Observe(w)(func(context.Context, *runner.Delivery) error { return nil }))
	e, err := events.New(events.SourceGateway, time.Now(), request("thumbnail", "brightness"))
	if err != nil {
		b.Fatal(err)
	}
	e.SetExtension(events.ExtTraceParent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	d := &runner.Delivery{Event: e, Attempt: 1}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := h(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}

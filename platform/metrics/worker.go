package metrics

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/platform/runner"
)

// OtherOp labels an op that is not among those a Worker was told of, so a
// malformed request cannot make up label values.
const OtherOp = "other"

// taskBuckets span a small thumbnail (10ms) to a large photo with many ops
// (40s), doubling.
var taskBuckets = prometheus.ExponentialBuckets(0.01, 2, 13)

// attemptBuckets: most tasks take one attempt; the default maximum is 5.
var attemptBuckets = []float64{1, 2, 3, 4, 5, 10, 20, 50}

// Worker is the metrics of one worker process. It is a runner.Observer of
// the worker's runner.
type Worker struct {
	reg        *prometheus.Registry
	ops        []string
	deliveries *prometheus.CounterVec
	inFlight   prometheus.Gauge
	attempts   prometheus.Histogram
	seconds    *prometheus.HistogramVec
}

// NewWorker returns the metrics of a worker whose requests use the given
// op names (anything else is counted as OtherOp).
func NewWorker(ops []string) *Worker {
	w := &Worker{
		ops: slices.Sorted(slices.Values(ops)),
		deliveries: counterVec("pixmill_worker_deliveries_total",
			"Requests this worker handled, by what the runner did with them: acked (done, or failed for good and reported), nacked (released for another attempt), rejected (can never succeed).",
			"outcome", runner.OutcomeAcked, runner.OutcomeNacked, runner.OutcomeRejected),
		inFlight: gauge("pixmill_worker_tasks_in_flight", "Requests this worker has in hand."),
		attempts: histogram("pixmill_worker_delivery_attempt", "The broker's delivery count of each request this worker handled (1 for a first delivery).", attemptBuckets),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pixmill_worker_task_duration_seconds",
			Help:    "Time to handle a request, from receipt to the result stored and reported, observed once for each op the task applies. libvips runs a task's ops as one pipeline while it encodes, so one op's own share cannot be told apart cheaply; this says how long tasks with each op take.",
			Buckets: taskBuckets,
		}, []string{"op"}),
	}
	w.reg = registry(w.deliveries, w.inFlight, w.attempts, w.seconds)
	return w
}

// Registry is where the worker's collectors are registered.
func (w *Worker) Registry() *prometheus.Registry { return w.reg }

// Handler serves the metrics in the Prometheus text format.
func (w *Worker) Handler() http.Handler {
	return promhttp.HandlerFor(w.reg, promhttp.HandlerOpts{})
}

// Begin implements runner.Observer.
func (w *Worker) Begin(*runner.Delivery) { w.inFlight.Inc() }

// End implements runner.Observer.
func (w *Worker) End(d *runner.Delivery, err error, took time.Duration) {
	w.inFlight.Dec()
	w.deliveries.WithLabelValues(runner.Outcome(err)).Inc()
	w.attempts.Observe(float64(d.Attempt))
	if d.DecodeErr != nil || d.Event.Type() != events.TypeTaskRequested {
		return
	}
	// Only the op names: cheaper than events.Decode, which the edit
	// function has already done.
	var req struct {
		Ops []struct {
			Op string `json:"op"`
		} `json:"ops"`
	}
	if json.Unmarshal(d.Event.Data(), &req) != nil {
		return
	}
	s := took.Seconds()
	for i, op := range req.Ops {
		if slices.ContainsFunc(req.Ops[:i], func(o struct {
			Op string `json:"op"`
		}) bool {
			return o.Op == op.Op
		}) {
			continue // a task with two crops counts once under crop
		}
		w.seconds.WithLabelValues(w.label(op.Op)).Observe(s)
	}
}

func (w *Worker) label(op string) string {
	if _, ok := slices.BinarySearch(w.ops, op); ok {
		return op
	}
	return OtherOp
}

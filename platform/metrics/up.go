package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/platform/autoscaler"
	"github.com/pixmill/pixmill/platform/runner"
)

// The outcomes of a task, as its last response reports it.
const (
	TaskSucceeded    = "succeeded"
	TaskFailed       = "failed"
	TaskDeadLettered = "dead_lettered"
)

// Up is the metrics of `pixmill up`: the queue, the fleet and the
// autoscaler, and the tasks as their responses report them. It is a
// runner.Observer of the results handler's runner, and it keeps the
// platform's own account of outstanding tasks (Outstanding), which serves
// as the autoscaler's signal where the broker cannot report a backlog.
type Up struct {
	reg         *prometheus.Registry
	outstanding *autoscaler.Outstanding

	queued        prometheus.Counter
	tasks         *prometheus.CounterVec
	attempts      prometheus.Histogram
	resultBytes   prometheus.Counter
	desired       prometheus.Gauge
	panicking     prometheus.Gauge
	waitingGauge  *prometheus.Desc
	inFlightGauge *prometheus.Desc
}

// NewUp returns the metrics of an up process.
func NewUp() *Up {
	u := &Up{
		outstanding: autoscaler.NewOutstanding(),
		queued:      counter("pixmill_requests_queued_total", "Task requests the gateway published to the requests topic."),
		tasks: counterVec("pixmill_tasks_total",
			"Tasks finished, by outcome as their response says: succeeded, failed (for good, reported to the owner), dead_lettered (given up on and parked).",
			"outcome", TaskSucceeded, TaskFailed, TaskDeadLettered),
		attempts:      histogram("pixmill_task_attempts", "Delivery attempts each finished task took (1: never redelivered).", attemptBuckets),
		resultBytes:   counter("pixmill_result_bytes_total", "Bytes of the result pictures stored, as the task.completed responses report them."),
		desired:       gauge("pixmill_workers_desired", "Worker processes the autoscaler wants (or the pinned size)."),
		panicking:     gauge("pixmill_autoscaler_panic", "1 while the autoscaler is in panic mode (scaling on the short window, never down)."),
		waitingGauge:  prometheus.NewDesc("pixmill_queue_waiting", "Requests queued and not yet handed to a worker, as the autoscaler's signal reads them.", nil, nil),
		inFlightGauge: prometheus.NewDesc("pixmill_queue_in_flight", "Requests in a worker's hands, or waiting out the lease of a worker that died.", nil, nil),
	}
	u.reg = registry(u.queued, u.tasks, u.attempts, u.resultBytes, u.desired, u.panicking)
	return u
}

// Handler serves the metrics in the Prometheus text format.
func (u *Up) Handler() http.Handler {
	return promhttp.HandlerFor(u.reg, promhttp.HandlerOpts{})
}

// Outstanding is the platform's own account of the tasks sent and not yet
// finished, kept from what the gateway and the responses report.
func (u *Up) Outstanding() *autoscaler.Outstanding { return u.outstanding }

// Queued counts a request the gateway published (the gateway's hook).
func (u *Up) Queued(task string) {
	u.queued.Inc()
	u.outstanding.Sent(task)
}

// QueuedElsewhere counts a request the gateway published for functions
// that run outside this process (a gateway-only up): no response comes back
// here to take the task off the outstanding account, which would only grow.
func (u *Up) QueuedElsewhere(string) { u.queued.Inc() }

// WatchFleet exports the fleet's processes, read at each scrape.
func (u *Up) WatchFleet(stats func() (running, draining int)) {
	u.reg.MustRegister(fleetCollector{
		desc:  prometheus.NewDesc("pixmill_workers", "Worker processes running, by state: running (taking tasks) or draining (retired, finishing what they hold).", []string{"state"}, nil),
		stats: stats,
	})
}

// WatchBacklog exports the queue's backlog as sig reads it, at each scrape.
func (u *Up) WatchBacklog(sig autoscaler.Signal) {
	u.reg.MustRegister(backlogCollector{u: u, sig: sig})
}

// Decided records a decision of the autoscaler (its OnDecision hook).
func (u *Up) Decided(_ autoscaler.Observation, d autoscaler.Decision) {
	u.desired.Set(float64(d.Desired))
	if d.Panic {
		u.panicking.Set(1)
	} else {
		u.panicking.Set(0)
	}
}

// Pinned records a fleet of fixed size.
func (u *Up) Pinned(n int) { u.desired.Set(float64(n)) }

// Begin implements runner.Observer.
func (u *Up) Begin(*runner.Delivery) {}

// End implements runner.Observer: a response recorded (err nil) is counted
// once; one that failed to be recorded comes again and is counted then.
func (u *Up) End(d *runner.Delivery, err error, _ time.Duration) {
	if err != nil || d.DecodeErr != nil {
		return
	}
	switch d.Event.Type() {
	case events.TypeTaskStarted:
		var s events.TaskStarted
		if events.Decode(d.Event, &s) == nil {
			u.outstanding.Started(s.Task)
		}
	case events.TypeTaskCompleted:
		var c events.TaskCompleted
		if events.Decode(d.Event, &c) == nil {
			u.finished(c.Task, TaskSucceeded, c.Attempt)
			u.resultBytes.Add(float64(c.Result.Bytes))
		}
	case events.TypeTaskFailed:
		var f events.TaskFailed
		if events.Decode(d.Event, &f) == nil {
			outcome := TaskFailed
			if f.DeadLettered {
				outcome = TaskDeadLettered
			}
			u.finished(f.Task, outcome, f.Attempt)
		}
	}
}

func (u *Up) finished(task, outcome string, attempt int) {
	u.tasks.WithLabelValues(outcome).Inc()
	u.attempts.Observe(float64(max(attempt, 1)))
	u.outstanding.Finished(task)
}

type fleetCollector struct {
	desc  *prometheus.Desc
	stats func() (running, draining int)
}

func (c fleetCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c fleetCollector) Collect(ch chan<- prometheus.Metric) {
	running, draining := c.stats()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(running), "running")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(draining), "draining")
}

// backlogCollector reads the signal when scraped, so the backlog shows
// with a pinned fleet too.
type backlogCollector struct {
	u   *Up
	sig autoscaler.Signal
}

func (c backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.u.waitingGauge
	ch <- c.u.inFlightGauge
}

func (c backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := c.sig.Backlog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.u.waitingGauge, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.u.waitingGauge, prometheus.GaugeValue, float64(b.Waiting))
	ch <- prometheus.MustNewConstMetric(c.u.inFlightGauge, prometheus.GaugeValue, float64(b.InFlight))
}

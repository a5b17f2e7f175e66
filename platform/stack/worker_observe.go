package stack

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/fleet"
	"github.com/pixmill/pixmill/platform/metrics"
	"github.com/pixmill/pixmill/platform/runner"
)

// EnvMetricsAddr is where a worker serves /metrics (`pixmill up` sets it per
// slot from --worker-metrics-addr).
const EnvMetricsAddr = "PIXMILL_METRICS_ADDR"

// workerObserving is what a worker adds around its runner: metrics, a span
// per request, and its busy and idle reports to the fleet that started it.
type workerObserving struct {
	middleware []runner.Middleware
	close      func()
}

// startWorkerObserving must run before the bucket is opened: the bucket's
// byte counters are bound when it opens.
func startWorkerObserving(cfg WorkerConfig, log *slog.Logger) (*workerObserving, error) {
	var ops []string
	for _, op := range imaging.Catalogue() {
		ops = append(ops, op.Name)
	}
	m := metrics.NewWorker(ops)
	m.CountBucketBytes()
	stopTracing := metrics.StartTracing()
	status := fleet.StatusFromEnv(os.Getenv)
	closers := []func(){func() { _ = stopTracing(context.Background()) }, func() { _ = status.Close() }}
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			_ = stopTracing(context.Background())
			return nil, errors.New("metrics-addr: " + err.Error())
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		log.Info("worker metrics", "url", "http://"+ln.Addr().String()+"/metrics")
		closers = append(closers, func() { _ = srv.Close() })
	}
	return &workerObserving{
		middleware: []runner.Middleware{runner.Trace(nil), runner.Observe(m, statusObserver{status})},
		close: func() {
			for _, c := range closers {
				c()
			}
		},
	}, nil
}

// statusObserver tells the fleet when the worker is busy, so that a
// scale-down knows which workers hold a task.
type statusObserver struct{ s *fleet.Status }

func (o statusObserver) Begin(*runner.Delivery)                     { o.s.Busy() }
func (o statusObserver) End(*runner.Delivery, error, time.Duration) { o.s.Idle() }

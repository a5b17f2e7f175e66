package stack

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/platform/autoscaler"
	"github.com/pixmill/pixmill/platform/dispatch"
	"github.com/pixmill/pixmill/platform/fleet"
	"github.com/pixmill/pixmill/platform/jetstream"
	"github.com/pixmill/pixmill/platform/metrics"
	"github.com/pixmill/pixmill/platform/runner"
)

// Environment variables of the autoscaler's flags. The rest of the policy
// (windows, rates, target) is read from PIXMILL_AUTOSCALE_* variables, one
// per key of autoscaler.Config; flags and these win over them.
const (
	EnvMinWorkers        = "PIXMILL_MIN_WORKERS"
	EnvMaxWorkers        = "PIXMILL_MAX_WORKERS"
	EnvScaleToZeroAfter  = "PIXMILL_SCALE_TO_ZERO_AFTER"
	EnvWorkerMetricsAddr = "PIXMILL_WORKER_METRICS_ADDR"
)

// Scaling is how `pixmill up` sizes its fleet and where workers serve their
// metrics.
type Scaling struct {
	// Policy is the autoscaler's; its MinScale, MaxScale and
	// ScaleToZeroGracePeriod are --min-workers, --max-workers and
	// --scale-to-zero-after. It is not used when Config.Workers pins the
	// fleet.
	Policy autoscaler.Config
	// WorkerMetricsAddr, if set, has the worker in slot i serve /metrics at
	// its host and port+i (port 0: a free port each, logged).
	WorkerMetricsAddr string
}

// Autoscaled reports whether the fleet is autoscaled rather than pinned.
func (c *Config) Autoscaled() bool { return c.Workers < 0 }

func (s *Scaling) bindFlags(fs *flag.FlagSet, getenv func(string) string, envErr *error) {
	policy, err := autoscaler.DefaultConfig().FromEnv(getenv)
	*envErr = errors.Join(*envErr, err)
	s.Policy = policy
	set := func(key string, f func(string) error) {
		if v := getenv(key); v != "" {
			*envErr = errors.Join(*envErr, f(v))
		}
	}
	set(EnvMinWorkers, intFlag(&s.Policy.MinScale, EnvMinWorkers, 0))
	fs.Func("min-workers", fmt.Sprintf("fewest worker processes the autoscaler keeps; 0 scales to zero when idle (env %s, default %d)", EnvMinWorkers, s.Policy.MinScale), intFlag(&s.Policy.MinScale, "min-workers", 0))
	set(EnvMaxWorkers, intFlag(&s.Policy.MaxScale, EnvMaxWorkers, 1))
	fs.Func("max-workers", fmt.Sprintf("most worker processes the autoscaler starts (env %s, default %d: one per CPU)", EnvMaxWorkers, s.Policy.MaxScale), intFlag(&s.Policy.MaxScale, "max-workers", 1))
	set(EnvScaleToZeroAfter, durationFlag(&s.Policy.ScaleToZeroGracePeriod, EnvScaleToZeroAfter, 0))
	fs.Func("scale-to-zero-after", fmt.Sprintf("how long the queue must hold nothing waiting and nothing in flight before the last worker stops (env %s, default %s)", EnvScaleToZeroAfter, s.Policy.ScaleToZeroGracePeriod), durationFlag(&s.Policy.ScaleToZeroGracePeriod, "scale-to-zero-after", 0))
	s.WorkerMetricsAddr = getenv(EnvWorkerMetricsAddr)
	fs.StringVar(&s.WorkerMetricsAddr, "worker-metrics-addr", s.WorkerMetricsAddr, "HOST:PORT where the worker in slot 0 serves /metrics, slot i at PORT+i; port 0 picks a free port per worker (env "+EnvWorkerMetricsAddr+"; default: none)")
}

func (s *Scaling) validate(autoscaled bool) error {
	var errs []error
	if autoscaled {
		if s.Policy.MinScale > s.Policy.MaxScale {
			errs = append(errs, fmt.Errorf("min-workers: %d is above max-workers %d", s.Policy.MinScale, s.Policy.MaxScale))
		} else if err := s.Policy.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.WorkerMetricsAddr != "" {
		if _, _, err := workerMetricsPort(s.WorkerMetricsAddr); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func workerMetricsPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("worker-metrics-addr: %q is not HOST:PORT", addr)
	}
	return host, n, nil
}

// fleetSize is the fleet's size at start: the pinned size, or the
// autoscaler's minimum.
func (c *Config) fleetSize() int {
	if c.Autoscaled() {
		return c.Scaling.Policy.MinScale
	}
	return c.Workers
}

// fleetSlots is the most workers the fleet runs at once, for judging crash
// loops: more crashes in a minute than slots is a loop, not bad luck.
func (c *Config) fleetSlots() int {
	if c.Autoscaled() {
		return c.Scaling.Policy.MaxScale
	}
	return c.Workers
}

// describeWorkers says how the fleet is sized, for the start-up line.
func (c *Config) describeWorkers() string {
	if c.Autoscaled() {
		p := c.Scaling.Policy
		return fmt.Sprintf("autoscaled %d-%d, to zero after %s idle", p.MinScale, p.MaxScale, p.ScaleToZeroGracePeriod)
	}
	return strconv.Itoa(c.Workers)
}

// slotEnv gives the worker in a slot its metrics address.
func (c *Config) slotEnv(slot int) []string {
	if c.Scaling.WorkerMetricsAddr == "" {
		return nil
	}
	host, port, _ := workerMetricsPort(c.Scaling.WorkerMetricsAddr)
	if port != 0 {
		port += slot
	}
	return []string{EnvMetricsAddr + "=" + net.JoinHostPort(host, strconv.Itoa(port))}
}

// observing is what `pixmill up` adds for autoscaling and metrics: the
// metrics served by the gateway, the backlog signal, tracing.
type observing struct {
	metrics *metrics.Up
	signal  autoscaler.Signal
	// disp is the fair-share dispatcher, once there is one: the tasks it
	// holds back are backlog, and the workers' starts free its slots.
	disp atomic.Pointer[dispatch.Dispatcher]
	// queued is the gateway's hook for each request it publishes.
	queued func(task string)
	close  func()
}

// startObserving opens the backlog signal for the requests subscription and
// starts tracing. A gateway that runs alone has no backlog to read and no
// fleet to size: it only counts what it publishes, and traces.
func startObserving(ctx context.Context, cfg Config, log *slog.Logger) (*observing, error) {
	o := &observing{metrics: metrics.NewUp()}
	stopTracing := metrics.StartTracing()
	if cfg.Queues.gatewayOnly() {
		o.queued = o.metrics.QueuedElsewhere
		o.close = func() { _ = stopTracing(context.Background()) }
		return o, nil
	}
	o.queued = o.metrics.Queued
	sig, closeSig, err := signalFor(ctx, cfg.Queues.RequestsSubscription, o.metrics.Outstanding())
	if err != nil {
		_ = stopTracing(context.Background())
		return nil, err
	}
	if _, ok := sig.(*autoscaler.Outstanding); ok && cfg.Autoscaled() {
		log.Warn("the requests broker cannot report its backlog; the autoscaler counts what this gateway sends, and cannot see requests queued by others until a worker takes them (keep --min-workers 1 if that happens)", "requests_subscription", redactURL(cfg.Queues.RequestsSubscription))
	}
	o.signal = withHeld{sig: sig, disp: &o.disp}
	o.metrics.WatchBacklog(o.signal)
	o.close = func() {
		closeSig()
		_ = stopTracing(context.Background())
	}
	return o, nil
}

// middleware instruments the results handler: a span per response, and
// the outcomes the responses report.
func (o *observing) middleware() []runner.Middleware {
	return []runner.Middleware{runner.Trace(nil), runner.Observe(o.metrics)}
}

// scaler returns what sizes the workers until its context ends: the
// autoscaler, or nothing for a pinned fleet.
func (o *observing) scaler(cfg Config, workers *fleet.Fleet, log *slog.Logger) (func(context.Context), error) {
	o.metrics.WatchFleet(func() (int, int) { st := workers.Stats(); return st.Running, st.Draining })
	if !cfg.Autoscaled() {
		o.metrics.Pinned(cfg.Workers)
		return func(context.Context) {}, nil
	}
	s, err := autoscaler.NewScaler(cfg.Scaling.Policy, autoscaler.ScalerDeps{
		Signal:     o.signal,
		Fleet:      workers,
		OnDecision: o.metrics.Decided,
		Log:        log,
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { _ = s.Run(ctx) }, nil
}

// signalFor reads the backlog from the broker behind the requests
// subscription where it can tell, and otherwise falls back on the
// platform's own account. The returned function releases what it opened.
func signalFor(ctx context.Context, subURL string, own *autoscaler.Outstanding) (autoscaler.Signal, func(), error) {
	if strings.HasPrefix(subURL, jetstream.Scheme+"://") {
		// A subscription on the workers' consumer that never receives:
		// opening it is how its consumer is found.
		sub, err := pubsub.OpenSubscription(ctx, subURL)
		if err != nil {
			return nil, nil, fmt.Errorf("requests subscription %q for the autoscaler: %w", redactURL(subURL), err)
		}
		return jetstreamSignal{sub: sub, completed: own.Completed}, func() { _ = sub.Shutdown(context.Background()) }, nil
	}
	return own, func() {}, nil
}

// jetstreamSignal reads the workers' consumer: pending is waiting,
// ack-pending is in flight. Completions come from the platform's own count,
// which the consumer does not keep.
type jetstreamSignal struct {
	sub       *pubsub.Subscription
	completed func() uint64
}

func (s jetstreamSignal) Backlog(ctx context.Context) (autoscaler.Backlog, error) {
	b, err := jetstream.SubscriptionBacklog(ctx, s.sub)
	if err != nil {
		return autoscaler.Backlog{}, err
	}
	return autoscaler.Backlog{Waiting: int(min(b.Pending, 1<<31)), InFlight: b.InFlight, Completed: s.completed()}, nil
}

// redactURL hides the password a URL may hold.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}

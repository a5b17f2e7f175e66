package stack

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/edit"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/runner"
)

// WorkerConfig is the configuration of one `pixmill worker` process.
type WorkerConfig struct {
	Bucket               string
	RequestsSubscription string
	ResponsesTopic       string
	DeadletterTopic      string
	// Concurrency is the number of tasks run at once; 0 picks it from the
	// CPUs (see workerDefaults).
	Concurrency int
	// VipsThreads is the number of threads libvips gives one picture; 0
	// picks it from the CPUs.
	VipsThreads int
	// Prefetch is how many requests are received ahead while every task
	// slot is busy; -1 (the default) leaves it to the broker
	// (brokers.DefaultPrefetch: 1, or 0 on Pub/Sub), 0 turns it off.
	Prefetch    int
	MaxAttempts int
	// AckWait is the subscription's lease; the worker extends it every
	// third of it while it works on a request.
	AckWait time.Duration
	// Timeout bounds one attempt at one task.
	Timeout time.Duration
	// Drain is how long a stopping worker finishes what it holds.
	Drain time.Duration
	// MetricsAddr, if set, is where the worker serves /metrics.
	MetricsAddr string

	envErr error
}

// BindFlags registers the worker's flags on fs, with defaults from the
// environment (which is how `pixmill up` configures its fleet).
func (c *WorkerConfig) BindFlags(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.Bucket, "bucket", getenv(EnvBucket), "blob bucket URL (env "+EnvBucket+")")
	fs.StringVar(&c.RequestsSubscription, "requests-subscription", getenv(EnvRequestsSubscription), "pubsub subscription URL to pull requests from (env "+EnvRequestsSubscription+")")
	fs.StringVar(&c.ResponsesTopic, "responses-topic", getenv(EnvResponsesTopic), "pubsub topic URL for responses (env "+EnvResponsesTopic+")")
	fs.StringVar(&c.DeadletterTopic, "deadletter-topic", getenv(EnvDeadletterTopic), "pubsub topic URL for requests that cannot succeed (env "+EnvDeadletterTopic+")")
	set := func(key string, f func(string) error) {
		if v := getenv(key); v != "" {
			c.envErr = errors.Join(c.envErr, f(v))
		}
	}
	set(EnvConcurrency, intFlag(&c.Concurrency, EnvConcurrency, 0))
	fs.Func("concurrency", "tasks run at once; 0 picks it from the CPUs (env "+EnvConcurrency+", default 0)", intFlag(&c.Concurrency, "concurrency", 0))
	set(EnvVipsThreads, intFlag(&c.VipsThreads, EnvVipsThreads, 0))
	fs.Func("vips-threads", "libvips threads per picture; 0 picks them from the CPUs (env "+EnvVipsThreads+", default 0)", intFlag(&c.VipsThreads, "vips-threads", 0))
	c.Prefetch = -1
	set(EnvPrefetch, intFlag(&c.Prefetch, EnvPrefetch, 0))
	fs.Func("prefetch", "requests received ahead while every task slot is busy; 0 turns it off (env "+EnvPrefetch+", default 1, or 0 on Pub/Sub)", intFlag(&c.Prefetch, "prefetch", 0))
	c.MaxAttempts = DefaultMaxAttempts
	set(EnvMaxAttempts, intFlag(&c.MaxAttempts, EnvMaxAttempts, 1))
	fs.Func("max-attempts", fmt.Sprintf("times a request is processed before it is dead-lettered (env %s, default %d)", EnvMaxAttempts, DefaultMaxAttempts), intFlag(&c.MaxAttempts, "max-attempts", 1))
	c.AckWait = DefaultAckWait
	set(EnvAckWait, durationFlag(&c.AckWait, EnvAckWait, time.Second))
	fs.Func("ack-wait", "the subscription's lease, extended every third of it while working (env "+EnvAckWait+", default 30s)", durationFlag(&c.AckWait, "ack-wait", time.Second))
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Minute, "the longest one attempt at a task may take")
	fs.DurationVar(&c.Drain, "drain", 25*time.Second, "on SIGTERM, how long to finish the tasks in hand before releasing them")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", getenv(EnvMetricsAddr), "HOST:PORT to serve /metrics on (env "+EnvMetricsAddr+"; default: none)")
}

// Validate names every missing or bad setting.
func (c *WorkerConfig) Validate() error {
	errs := []error{c.envErr}
	for _, s := range []struct{ name, v string }{{"bucket", c.Bucket}, {"requests-subscription", c.RequestsSubscription}, {"responses-topic", c.ResponsesTopic}} {
		if s.v == "" {
			errs = append(errs, fmt.Errorf("%s: a URL is required", s.name))
		}
	}
	return errors.Join(errs...)
}

// Worker runs the edit function on requests until ctx ends, then drains.
func Worker(ctx context.Context, cfg WorkerConfig, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg.Concurrency, cfg.VipsThreads = workerDefaults(runtime.NumCPU(), cfg.Concurrency, cfg.VipsThreads)
	if cfg.Prefetch < 0 {
		cfg.Prefetch = brokers.DefaultPrefetch(cfg.RequestsSubscription)
	}
	if err := imaging.Startup(imaging.Config{Concurrency: cfg.VipsThreads}); err != nil {
		return err
	}
	defer imaging.Shutdown()
	obs, err := startWorkerObserving(cfg, log)
	if err != nil {
		return err
	}
	defer obs.close()
	open := context.WithoutCancel(ctx)
	bucket, err := blob.OpenBucket(open, cfg.Bucket)
	if err != nil {
		return fmt.Errorf("bucket %q: %w", cfg.Bucket, err)
	}
	defer bucket.Close()
	responses, err := openTopic(open, "responses topic", cfg.ResponsesTopic)
	if err != nil {
		return err
	}
	defer shutdownTopic(responses)
	deadletter, err := openTopic(open, "dead-letter topic", cfg.DeadletterTopic)
	if err != nil {
		return err
	}
	if deadletter != nil {
		defer shutdownTopic(deadletter)
	}
	subURL := brokers.SubscriptionFor(cfg.RequestsSubscription, cfg.Concurrency+cfg.Prefetch)
	requests, err := pubsub.OpenSubscription(open, subURL)
	if err != nil {
		return fmt.Errorf("requests subscription %q: %w", cfg.RequestsSubscription, err)
	}
	defer shutdownRequests(requests, cfg.RequestsSubscription)

	fn := &edit.Function{Bucket: bucket, Responses: responses, Now: time.Now}
	broker := brokerFor(cfg.RequestsSubscription)
	mw := chain{
		started: taskStarted(records.NewStore(bucket)), observe: obs.middleware,
		deadletter: deadletter, responses: responses, maxAttempts: cfg.MaxAttempts,
		broker: broker, ackWait: cfg.AckWait, timeout: cfg.Timeout,
	}.build(log)
	r, err := runner.New(requests, runner.Call(fn.Handle), runner.Config{
		Concurrency: cfg.Concurrency, Prefetch: cfg.Prefetch, HoldLease: cfg.AckWait / 3,
		Drain: cfg.Drain, Broker: broker, Middleware: mw,
	}, log)
	if err != nil {
		return err
	}
	log.Info("worker started", "concurrency", cfg.Concurrency, "vips_threads", cfg.VipsThreads, "prefetch", cfg.Prefetch, "max_attempts", cfg.MaxAttempts)
	err = r.Run(ctx)
	st := r.Stats()
	log.Info("worker stopped", "acked", st.Acked, "nacked", st.Nacked, "rejected", st.Rejected)
	return err
}

// workerDefaults fills in the concurrency and libvips threads left at 0,
// for a worker on a machine with cpus CPUs (BenchmarkWorkers measures the
// shapes; docs/configuration.md has the numbers):
//
//   - one libvips thread per picture: a thumbnail is mostly a JPEG decode
//     with shrink-on-load, which libvips runs on one thread, and once every
//     CPU has a picture more threads only fight each other for the cores;
//   - one task per CPU: a worker that is alone on its machine (`pixmill
//     worker` run by another fleet manager) fills it. Under `pixmill up`
//     the fleet passes its own share instead, one task per CPU across its
//     largest fleet (see Config.Validate), so workers × tasks = CPUs.
func workerDefaults(cpus, concurrency, threads int) (int, int) {
	return cmp.Or(concurrency, max(cpus, 1)), cmp.Or(threads, 1)
}

// taskStarted tells runner.CountStarted whether an attempt at a task
// request began, from the task's started-{n} record.
func taskStarted(store *records.Store) func(context.Context, *runner.Delivery, int) (bool, error) {
	return func(ctx context.Context, d *runner.Delivery, n int) (bool, error) {
		var req events.TaskRequested
		if d.DecodeErr != nil {
			return false, d.DecodeErr
		}
		if err := events.Decode(d.Event, &req); err != nil {
			return false, err
		}
		return store.AttemptStarted(ctx, req.Job, req.Task, n)
	}
}

// topicShutdownWait bounds a topic's shutdown. A send the broker keeps
// refusing with a retryable error is retried until the topic shuts down,
// and an unbounded shutdown would wait for it for good (a broker that is
// gone). What is abandoned is safe: the gateway has failed those tasks as
// not queued, and a worker has not acked the request whose response or
// dead letter did not go out, so it is delivered again.
const topicShutdownWait = 10 * time.Second

// shutdownTopic shuts t down, giving up on sends still retrying after
// topicShutdownWait.
func shutdownTopic(t *pubsub.Topic) {
	ctx, cancel := context.WithTimeout(context.Background(), topicShutdownWait)
	defer cancel()
	_ = t.Shutdown(ctx)
}

// openTopic opens url, or returns nil for an empty one.
func openTopic(ctx context.Context, what, url string) (*pubsub.Topic, error) {
	if url == "" {
		return nil, nil
	}
	t, err := pubsub.OpenTopic(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, url, err)
	}
	return t, nil
}

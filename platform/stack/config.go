package stack

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/gateway"
)

// Environment variables that stand in for flags. Flags win.
const (
	EnvData                   = "PIXMILL_DATA"
	EnvAddr                   = "PIXMILL_ADDR"
	EnvWorkers                = "PIXMILL_WORKERS"
	EnvBucket                 = "PIXMILL_BUCKET"
	EnvRequestsTopic          = "PIXMILL_REQUESTS_TOPIC"
	EnvRequestsSubscription   = "PIXMILL_REQUESTS_SUBSCRIPTION"
	EnvResponsesTopic         = "PIXMILL_RESPONSES_TOPIC"
	EnvResponsesSubscription  = "PIXMILL_RESPONSES_SUBSCRIPTION"
	EnvDeadletterTopic        = "PIXMILL_DEADLETTER_TOPIC"
	EnvDeadletterSubscription = "PIXMILL_DEADLETTER_SUBSCRIPTION"
	EnvAckWait                = "PIXMILL_ACK_WAIT"
	EnvConcurrency            = "PIXMILL_CONCURRENCY"
	EnvMaxAttempts            = "PIXMILL_MAX_ATTEMPTS"
	EnvPrefetch               = "PIXMILL_PREFETCH"
	// EnvVipsThreads is the one the HTTP functions read too.
	EnvVipsThreads = imaging.EnvConcurrency
)

// Queues are the URLs of the topics and subscriptions pixmill uses. Any
// gocloud.dev pubsub URL works; empty ones take the embedded JetStream.
//
// A requests topic with neither the requests nor the responses
// subscription is a gateway that runs alone: the functions consume the
// requests elsewhere (Knative Services behind a Broker, whose ingress is the
// topic's http:// URL) and write the task records to the shared bucket
// themselves, so up runs no workers, no results handler and no dead-letter
// recorder. The responses and dead-letter topics may then be set (a
// configuration shared with the functions) and are not used.
type Queues struct{ brokers.Queues }

func (q Queues) complete() bool {
	return q.RequestsTopic != "" && q.RequestsSubscription != "" && q.ResponsesTopic != "" && q.ResponsesSubscription != ""
}

func (q Queues) empty() bool {
	return q == Queues{}
}

// gatewayOnly reports a gateway that runs alone (see Queues).
func (q Queues) gatewayOnly() bool {
	return q.RequestsTopic != "" && q.RequestsSubscription == "" && q.ResponsesSubscription == ""
}

// validate names what a configuration that is none of the three shapes
// (embedded, complete, gateway only) lacks or has too much of.
func (q Queues) validate(workers int) error {
	switch {
	case q.empty(), q.complete():
		return nil
	case q.gatewayOnly():
		var errs []error
		if q.DeadletterSubscription != "" {
			errs = append(errs, fmt.Errorf("deadletter-subscription: %q is set, but with no --requests-subscription and --responses-subscription up runs the gateway alone, which records no dead letters: the functions that consume the requests handle them (in Knative, the pixmill-deadletter Trigger)", redactURL(q.DeadletterSubscription)))
		}
		if workers >= 0 {
			errs = append(errs, fmt.Errorf("workers: %d, but with no --requests-subscription there is nothing for workers to pull: up runs the gateway alone", workers))
		}
		return errors.Join(errs...)
	}
	var missing []string
	for _, f := range []struct{ flag, v string }{
		{"--requests-topic", q.RequestsTopic}, {"--requests-subscription", q.RequestsSubscription},
		{"--responses-topic", q.ResponsesTopic}, {"--responses-subscription", q.ResponsesSubscription},
	} {
		if f.v == "" {
			missing = append(missing, f.flag)
		}
	}
	return fmt.Errorf("queues: %s missing: give all four of --requests-topic, --requests-subscription, --responses-topic and --responses-subscription to run workers here; --requests-topic without either subscription to run the gateway alone, the functions consuming the requests elsewhere (a Knative Broker); or none for the embedded JetStream", strings.Join(missing, ", "))
}

// Config is the configuration of `pixmill up`.
type Config struct {
	// Data is the directory that holds everything local: the embedded
	// queue's store and the file bucket.
	Data string
	// Addr is the gateway's listen address.
	Addr string
	// Workers pins the worker fleet at this size; negative (the default)
	// autoscales it as Scaling says.
	Workers int
	Scaling Scaling
	// Bucket is a gocloud.dev blob URL; empty is file:// under Data.
	Bucket string
	Queues Queues
	// AckWait is the lease a worker gets on a request.
	AckWait time.Duration
	// Concurrency is the number of tasks each worker runs at once; 0 lets
	// each worker pick it from the CPUs.
	Concurrency int
	// MaxAttempts is how many times a request is processed before it is
	// dead-lettered.
	MaxAttempts int
	// Limits are the gateway's upload limits.
	Limits gateway.Config
	// Auth is how the gateway identifies callers (package auth).
	Auth auth.Config
	// FairShare is how the fleet is shared among owners.
	FairShare FairShare
	// RestartBackoffMax bounds the wait before a crashed worker is started
	// again; the wait doubles while workers keep crashing soon after start.
	RestartBackoffMax time.Duration
	// Retention is how long originals and results are kept, unless an
	// owner's own retention says otherwise (records.Store.PutRetention);
	// zero keeps them.
	Retention records.Retention
	// SweepEvery is how often expired pictures are swept (default 1h);
	// zero sweeps never.
	SweepEvery time.Duration
	// Notify is how jobs' owners are told that their jobs ended.
	Notify Notifications

	envErr error
}

// Defaults.
const (
	DefaultData        = "pixmill-data"
	DefaultAddr        = "127.0.0.1:8080"
	DefaultAckWait     = 30 * time.Second
	DefaultMaxAttempts = 5
	DefaultSweepEvery  = time.Hour
)

// BindFlags registers the flags of Config on fs, with defaults taken from
// the environment where set.
func (c *Config) BindFlags(fs *flag.FlagSet, getenv func(string) string) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Data, "data", env(EnvData, DefaultData), "directory for all local state: queued requests, originals, results, records (env "+EnvData+")")
	fs.StringVar(&c.Addr, "addr", env(EnvAddr, DefaultAddr), "gateway listen address; port 0 picks a free one (env "+EnvAddr+")")
	c.Workers = -1
	fs.Func("workers", "pin the fleet at this many worker processes, turning the autoscaler off (env "+EnvWorkers+"; default: autoscale)", intFlag(&c.Workers, "workers", 0))
	c.Scaling.bindFlags(fs, getenv, &c.envErr)
	c.FairShare.bindFlags(fs, getenv, &c.envErr)
	if v := getenv(EnvWorkers); v != "" {
		c.envErr = errors.Join(c.envErr, intFlag(&c.Workers, EnvWorkers, 0)(v))
	}
	fs.Func("concurrency", "tasks each worker runs at once; 0 lets each worker pick it from the CPUs (env "+EnvConcurrency+", default 0)", intFlag(&c.Concurrency, "concurrency", 0))
	if v := getenv(EnvConcurrency); v != "" {
		c.envErr = errors.Join(c.envErr, intFlag(&c.Concurrency, EnvConcurrency, 0)(v))
	}
	fs.StringVar(&c.Bucket, "bucket", env(EnvBucket, ""), "blob bucket URL, e.g. s3://photos?region=eu-west-1 (env "+EnvBucket+"; default file:// under --data)")
	fs.StringVar(&c.Queues.RequestsTopic, "requests-topic", env(EnvRequestsTopic, ""), "pubsub topic URL for task requests, e.g. jetstream://…, or a Knative Broker's http:// address; without --requests-subscription and --responses-subscription up runs only the gateway (env "+EnvRequestsTopic+"; default: the embedded JetStream)")
	fs.StringVar(&c.Queues.RequestsSubscription, "requests-subscription", env(EnvRequestsSubscription, ""), "pubsub subscription URL workers pull requests from; leave it and --responses-subscription out when the functions consume the requests elsewhere (env "+EnvRequestsSubscription+")")
	fs.StringVar(&c.Queues.ResponsesTopic, "responses-topic", env(EnvResponsesTopic, ""), "pubsub topic URL for task responses (env "+EnvResponsesTopic+")")
	fs.StringVar(&c.Queues.ResponsesSubscription, "responses-subscription", env(EnvResponsesSubscription, ""), "pubsub subscription URL the results handler reads (env "+EnvResponsesSubscription+")")
	fs.StringVar(&c.Queues.DeadletterTopic, "deadletter-topic", env(EnvDeadletterTopic, ""), "pubsub topic URL where requests that cannot succeed are parked (env "+EnvDeadletterTopic+")")
	fs.StringVar(&c.Queues.DeadletterSubscription, "deadletter-subscription", env(EnvDeadletterSubscription, ""), "pubsub subscription URL on the dead-letter topic, recorded for pixmill dlq (env "+EnvDeadletterSubscription+")")
	c.MaxAttempts = DefaultMaxAttempts
	fs.Func("max-attempts", fmt.Sprintf("times a request is processed before it is dead-lettered (env %s, default %d)", EnvMaxAttempts, DefaultMaxAttempts), intFlag(&c.MaxAttempts, "max-attempts", 1))
	if v := getenv(EnvMaxAttempts); v != "" {
		c.envErr = errors.Join(c.envErr, intFlag(&c.MaxAttempts, EnvMaxAttempts, 1)(v))
	}
	fs.Int64Var(&c.Limits.MaxFileBytes, "max-upload-bytes", gateway.DefaultMaxFileBytes, "largest accepted upload, per file")
	fs.Int64Var(&c.Limits.MaxPixels, "max-pixels", gateway.DefaultMaxPixels, "largest accepted width×height, read from the header before decoding")
	fs.IntVar(&c.Limits.MaxFrames, "max-frames", gateway.DefaultMaxFrames, "most frames accepted in an animation")
	fs.Float64Var(&c.Limits.PreviewCPU, "preview-cpu", gateway.DefaultPreviewCPU, "share of the machine's CPUs the gateway may spend on previews, so that people editing cannot slow the batch (0 to 1; 1 where the gateway has a machine of its own)")
	fs.DurationVar(&c.Limits.EnqueueTimeout, "enqueue-timeout", gateway.DefaultEnqueueTimeout, "how long publishing a job's requests may take when the broker does not take them; the tasks not queued by then fail with \"could not be queued\"; with fair share on, the dispatcher keeps trying instead")
	c.bindQuotaFlags(fs)
	c.RestartBackoffMax = 10 * time.Second
	fs.Func("restart-backoff-max", "longest wait before restarting a worker that keeps crashing (default 10s)", durationFlag(&c.RestartBackoffMax, "restart-backoff-max", 10*time.Millisecond))
	fs.Func("retain-originals", "delete originals this long after upload, e.g. 30d or 36h, unless an owner's own retention (pixmill retention) says otherwise (default: keep)", retentionFlag(&c.Retention.Originals, "retain-originals"))
	fs.Func("retain-results", "delete a job's results, previews and records this long after the job was made, e.g. 7d, unless an owner's own retention says otherwise (default: keep)", retentionFlag(&c.Retention.Results, "retain-results"))
	c.SweepEvery = DefaultSweepEvery
	fs.DurationVar(&c.SweepEvery, "retention-sweep", DefaultSweepEvery, "how often expired pictures are looked for and deleted; 0 never")
	c.Auth.BindFlags(fs, getenv)
	c.Notify.bindFlags(fs, c)
	c.AckWait = DefaultAckWait
	fs.Func("ack-wait", "lease on a request before it is handed to another worker (env "+EnvAckWait+", default 30s)", durationFlag(&c.AckWait, "ack-wait", time.Second))
	if v := getenv(EnvAckWait); v != "" {
		c.envErr = errors.Join(c.envErr, durationFlag(&c.AckWait, EnvAckWait, time.Second)(v))
	}
}

// Validate reports every bad setting, each naming its key and value, and
// settles the tasks per worker left at 0: the machine's CPUs shared out
// over the most workers the fleet runs (one per CPU by default, so one task
// each; two tasks each for `--workers 1` on two CPUs).
func (c *Config) Validate() error {
	if c.Concurrency == 0 && c.fleetSlots() > 0 {
		c.Concurrency = tasksPerWorker(runtime.NumCPU(), c.fleetSlots())
	}
	errs := []error{c.envErr}
	if c.SweepEvery < 0 {
		errs = append(errs, fmt.Errorf("retention-sweep: %s is negative; 0 turns the sweep off", c.SweepEvery))
	}
	if c.Data == "" {
		errs = append(errs, errors.New("data: a directory is required"))
	}
	errs = append(errs, c.Scaling.validate(c.Autoscaled()))
	errs = append(errs, c.Queues.validate(c.Workers))
	if err := c.Auth.Validate(); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, auth.Check(c.Addr, c.Auth.Mode))
	}
	return errors.Join(errs...)
}

// tasksPerWorker shares cpus out over workers, rounding up so that no CPU
// is left without a task.
func tasksPerWorker(cpus, workers int) int {
	return max(1, (cpus+workers-1)/workers)
}

func intFlag(dst *int, name string, min int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < min {
			return fmt.Errorf("%s: %q is not a whole number of at least %d", name, s, min)
		}
		*dst = n
		return nil
	}
}

func retentionFlag(dst *time.Duration, name string) func(string) error {
	return func(s string) error {
		d, err := records.ParseRetention(s)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		*dst = d
		return nil
	}
}

func durationFlag(dst *time.Duration, name string, min time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < min {
			return fmt.Errorf("%s: %q is not a duration of at least %s (e.g. 30s, 2m)", name, s, min)
		}
		*dst = d
		return nil
	}
}

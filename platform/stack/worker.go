package stack

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/functions/edit"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/platform/runner"
)

// WorkerConfig is the configuration of one `pixmill worker` process.
type WorkerConfig struct {
	Bucket               string
	RequestsSubscription string
	ResponsesTopic       string
	Concurrency          int
	// Drain is how long a stopping worker finishes what it holds.
	Drain time.Duration
}

// BindFlags registers the worker's flags on fs, with defaults from the
// environment (which is how `pixmill up` configures its fleet).
func (c *WorkerConfig) BindFlags(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.Bucket, "bucket", getenv(EnvBucket), "blob bucket URL (env "+EnvBucket+")")
	fs.StringVar(&c.RequestsSubscription, "requests-subscription", getenv(EnvRequestsSubscription), "pubsub subscription URL to pull requests from (env "+EnvRequestsSubscription+")")
	fs.StringVar(&c.ResponsesTopic, "responses-topic", getenv(EnvResponsesTopic), "pubsub topic URL for responses (env "+EnvResponsesTopic+")")
	c.Concurrency = 1
	if v := getenv(EnvConcurrency); v != "" {
		_ = intFlag(&c.Concurrency, EnvConcurrency, 1)(v)
	}
	fs.Func("concurrency", "tasks run at once (env "+EnvConcurrency+", default 1)", intFlag(&c.Concurrency, "concurrency", 1))
	c.Drain = 25 * time.Second
	fs.DurationVar(&c.Drain, "drain", c.Drain, "on SIGTERM, how long to finish the tasks in hand before releasing them")
}

// Validate names every missing setting.
func (c *WorkerConfig) Validate() error {
	var errs []error
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
	if err := imaging.Startup(imaging.DefaultConfig()); err != nil {
		return err
	}
	defer imaging.Shutdown()
	open := context.WithoutCancel(ctx)
	bucket, err := blob.OpenBucket(open, cfg.Bucket)
	if err != nil {
		return fmt.Errorf("bucket %q: %w", cfg.Bucket, err)
	}
	defer bucket.Close()
	responses, err := pubsub.OpenTopic(open, cfg.ResponsesTopic)
	if err != nil {
		return fmt.Errorf("responses topic %q: %w", cfg.ResponsesTopic, err)
	}
	defer responses.Shutdown(context.Background())
	requests, err := pubsub.OpenSubscription(open, cfg.RequestsSubscription)
	if err != nil {
		return fmt.Errorf("requests subscription %q: %w", cfg.RequestsSubscription, err)
	}
	defer requests.Shutdown(context.Background())

	fn := &edit.Function{Bucket: bucket, Responses: responses, Now: time.Now}
	r, err := runner.New(requests, fn.Handle, runner.Config{Concurrency: cfg.Concurrency, Drain: cfg.Drain, DeliveryCount: deliveryCount(cfg.RequestsSubscription)}, log)
	if err != nil {
		return err
	}
	log.Info("worker started", "concurrency", cfg.Concurrency)
	err = r.Run(ctx)
	st := r.Stats()
	log.Info("worker stopped", "acked", st.Acked, "nacked", st.Nacked, "rejected", st.Rejected)
	return err
}

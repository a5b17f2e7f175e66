// Package stack puts pixmill together: `pixmill up` (queue, bucket, gateway,
// results handler and a worker fleet in one command) and `pixmill worker`
// (one process of the fleet).
//
// Queues and the bucket are opened from gocloud.dev URLs, so a deployment
// changes configuration, not code. With no queue URLs, up starts a NATS
// JetStream server embedded in the process, durable under the data directory
// and listening on a free loopback port; with no bucket URL, it uses a file
// bucket under the data directory. A restart on the same directory keeps
// uploads, jobs and queued requests.
package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/functions/records"
	"github.com/pixmill/pixmill/functions/results"
	"github.com/pixmill/pixmill/platform/embedded"
	"github.com/pixmill/pixmill/platform/fleet"
	"github.com/pixmill/pixmill/platform/gateway"
	"github.com/pixmill/pixmill/platform/jetstream"
	"github.com/pixmill/pixmill/platform/runner"
)

// Subjects and consumers of the embedded JetStream.
const (
	subjectRequests   = "pixmill.requests"
	subjectResponses  = "pixmill.responses"
	subjectDeadletter = "pixmill.deadletter"
	consumerWorkers   = "workers"
	consumerResults   = "results"
)

// Up runs the whole local stack until ctx ends, then shuts it down in order:
// the gateway stops accepting, workers drain, the results handler drains,
// and the queue stops last.
func Up(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	data, err := filepath.Abs(cfg.Data)
	if err != nil {
		return fmt.Errorf("data %q: %w", cfg.Data, err)
	}
	if err := os.MkdirAll(data, 0o750); err != nil {
		return fmt.Errorf("data %q: %w", data, err)
	}
	if cfg.Bucket == "" {
		cfg.Bucket = (&url.URL{Scheme: "file", Path: filepath.Join(data, "bucket"), RawQuery: "create_dir=1&no_tmp_dir=1"}).String()
	}
	if cfg.Queues.empty() {
		nats, err := embedded.Start(ctx, embedded.Config{Dir: filepath.Join(data, "queue"), Logger: quieter(log.With("component", "nats"), slog.LevelWarn)})
		if err != nil {
			return err
		}
		defer nats.Shutdown()
		if cfg.Queues, err = provision(ctx, nats.Addr(), cfg.AckWait); err != nil {
			return err
		}
		log.Info("embedded JetStream started", "url", nats.URL(), "store", filepath.Join(data, "queue"))
	}

	if err := imaging.Startup(imaging.DefaultConfig()); err != nil {
		return err
	}
	defer imaging.Shutdown()

	bucket, err := blob.OpenBucket(ctx, cfg.Bucket)
	if err != nil {
		return fmt.Errorf("bucket %q: %w", cfg.Bucket, err)
	}
	defer bucket.Close()
	requests, err := pubsub.OpenTopic(ctx, cfg.Queues.RequestsTopic)
	if err != nil {
		return fmt.Errorf("requests topic %q: %w", cfg.Queues.RequestsTopic, err)
	}
	defer requests.Shutdown(context.Background())
	responses, err := pubsub.OpenSubscription(ctx, cfg.Queues.ResponsesSubscription)
	if err != nil {
		return fmt.Errorf("responses subscription %q: %w", cfg.Queues.ResponsesSubscription, err)
	}
	defer responses.Shutdown(context.Background())

	gw, err := gateway.New(gateway.Config{}, gateway.Deps{Bucket: bucket, Requests: requests, Log: log.With("component", "gateway")})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("addr %q: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}

	resultsFn := &results.Function{Store: records.NewStore(bucket)}
	resultsRunner, err := runner.New(responses, resultsFn.Handle, runner.Config{Concurrency: 16, DeliveryCount: deliveryCount(cfg.Queues.ResponsesSubscription)}, log.With("component", "results"))
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the pixmill binary for workers: %w", err)
	}
	workers, err := fleet.New(fleet.Config{
		Command: []string{self, "worker"},
		Env: []string{
			EnvBucket + "=" + cfg.Bucket,
			EnvRequestsSubscription + "=" + cfg.Queues.RequestsSubscription,
			EnvResponsesTopic + "=" + cfg.Queues.ResponsesTopic,
			fmt.Sprintf("%s=%d", EnvConcurrency, cfg.Concurrency),
		},
		Size:   cfg.Workers,
		Output: os.Stderr,
	}, log.With("component", "fleet"))
	if err != nil {
		return err
	}

	var wg sync.WaitGroup
	errs := make(chan error, 3)
	fleetCtx, stopFleet := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFleet()
	resultsCtx, stopResults := context.WithCancel(context.WithoutCancel(ctx))
	defer stopResults()
	wg.Add(3)
	go func() { defer wg.Done(); errs <- ignoreClosed(srv.Serve(ln)) }()
	go func() { defer wg.Done(); errs <- workers.Run(fleetCtx) }()
	go func() { defer wg.Done(); errs <- resultsRunner.Run(resultsCtx) }()
	log.Info("pixmill is up", "url", "http://"+ln.Addr().String(), "data", data, "workers", cfg.Workers, "bucket", cfg.Bucket)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	stopFleet()
	stopResults()
	wg.Wait()
	return runErr
}

// provision creates the embedded JetStream's streams and returns the URLs of
// the topics and subscriptions on them.
func provision(ctx context.Context, addr string, ackWait time.Duration) (Queues, error) {
	nc, err := nats.Connect("nats://"+addr, nats.Name("pixmill provisioning"))
	if err != nil {
		return Queues{}, fmt.Errorf("connecting to the embedded JetStream: %w", err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		return Queues{}, err
	}
	for name, subject := range map[string]string{"PIXMILL_REQUESTS": subjectRequests, "PIXMILL_RESPONSES": subjectResponses, "PIXMILL_DEADLETTER": subjectDeadletter} {
		if _, err := jetstream.EnsureStream(ctx, js, name, []string{subject}, nil); err != nil {
			return Queues{}, err
		}
	}
	base := "jetstream://" + addr + "/"
	return Queues{
		RequestsTopic:         base + subjectRequests,
		RequestsSubscription:  base + subjectRequests + "?consumer=" + consumerWorkers + "&ack_wait=" + ackWait.String() + "&max_batch=1",
		ResponsesTopic:        base + subjectResponses,
		ResponsesSubscription: base + subjectResponses + "?consumer=" + consumerResults,
	}, nil
}

// deliveryCount picks the broker's delivery count reader for a subscription
// URL; brokers without one leave attempts to the platform.
func deliveryCount(subURL string) func(*pubsub.Message) (int, bool) {
	if strings.HasPrefix(subURL, "jetstream://") {
		return jetstream.DeliveryCount
	}
	return nil
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// quieter passes on only records at min or above: the NATS server narrates
// its start-up at info level, which buries pixmill's own lines.
func quieter(log *slog.Logger, min slog.Level) *slog.Logger {
	return slog.New(levelFloor{log.Handler(), min})
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(as), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}

// Package stack puts pixmill together: `pixmill up` (queue, bucket, gateway,
// results handler and a worker fleet in one command) and `pixmill worker`
// (one process of the fleet).
//
// Queues and the bucket are opened from gocloud.dev URLs, so a deployment
// changes configuration, not code. With no queue URLs, up starts a NATS
// JetStream server embedded in the process, durable under the data directory
// and listening on a free loopback port; with no bucket URL, it uses a file
// bucket under the data directory. A restart on the same directory keeps
// uploads, jobs and queued requests. The gateway's jobs go to the requests
// topic through a fair-share dispatcher (package dispatch; fairshare.go),
// which resumes where it stopped on the same bucket. With a requests topic and no
// subscriptions, up is a gateway alone, for functions that consume the
// requests elsewhere, as Knative Services behind a Broker do (see Queues).
package stack

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events/records"
	deadletterfn "github.com/pixmill/pixmill/functions/deadletter"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/functions/results"
	"github.com/pixmill/pixmill/platform/auth"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/fleet"
	"github.com/pixmill/pixmill/platform/gateway"
	"github.com/pixmill/pixmill/platform/metrics"
	"github.com/pixmill/pixmill/platform/quota"
	"github.com/pixmill/pixmill/platform/runner"
)

// Up runs the whole local stack until ctx ends, then shuts it down in order:
// the gateway stops accepting, workers drain, the results handler drains,
// and the queue stops last. A gateway-only configuration (see Queues) runs
// the gateway alone.
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
		// No ".attrs" file beside each object: that is a second file
		// created for every record and picture, which on ext4 costs more
		// than the write itself. The gateway takes content types from
		// the records, not from the bucket.
		cfg.Bucket = (&url.URL{Scheme: "file", Path: filepath.Join(data, "bucket"), RawQuery: "create_dir=1&no_tmp_dir=1&metadata=skip"}).String()
		go cleanOrphans(ctx, filepath.Join(data, "bucket"), time.Hour, time.Now, log)
	}
	if cfg.Queues.empty() {
		q, stop, err := startEmbedded(ctx, filepath.Join(data, "queue"), cfg.AckWait, log)
		if err != nil {
			return err
		}
		defer stop()
		cfg.Queues = q
	}

	if err := imaging.Startup(imaging.DefaultConfig()); err != nil {
		return err
	}
	defer imaging.Shutdown()
	obs, err := startObserving(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer obs.close()

	bucket, err := blob.OpenBucket(ctx, cfg.Bucket)
	if err != nil {
		return fmt.Errorf("bucket %q: %w", cfg.Bucket, err)
	}
	defer bucket.Close()
	requests, err := pubsub.OpenTopic(ctx, cfg.Queues.RequestsTopic)
	if err != nil {
		return fmt.Errorf("requests topic %q: %w", redactURL(cfg.Queues.RequestsTopic), err)
	}
	defer shutdownTopic(requests)
	// The results handler here tells the gateway's progress feeds which
	// tasks it recorded, so that they read those alone.
	changes := gateway.NewChanges()
	// The results handler here counts the results' bytes in the owners'
	// use, which the gateway checks against their quotas.
	quotas, err := quota.New(cfg.Limits.Quotas, bucket, time.Now)
	if err != nil {
		return err
	}
	work := &processing{}
	if !cfg.Queues.gatewayOnly() {
		work, err = startProcessing(ctx, cfg, bucket, obs, changes, quotas, log)
		if err != nil {
			return err
		}
		defer work.close()
	}
	// The dispatcher is told of ended tasks by the Store the results
	// handler writes through, when it runs here.
	store := work.store
	if store == nil {
		store = records.NewStore(bucket)
	}
	disp, err := startDispatch(cfg, requests, store, obs, log.With("component", "dispatch"))
	if err != nil {
		return err
	}
	notes, err := startNotifications(cfg.Notify, store, log.With("component", "notify"))
	if err != nil {
		return err
	}
	defer notes.close()

	if len(cfg.Auth.LinkKeys) == 0 {
		// Links still work on one gateway without a configured key;
		// they end with this process.
		key := make([]byte, auth.MinLinkKeyBytes)
		_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms.
		cfg.Auth.LinkKeys = [][]byte{key}
		log.Info("signed links are signed with a key made at start: they stop working when this process stops; --link-keys-file keeps them across restarts and replicas")
	}
	keys := auth.NewKeyStore(bucket, time.Now)
	authn, err := auth.New(ctx, cfg.Auth, auth.Deps{Keys: keys})
	if err != nil {
		return err
	}
	if authn.Mode() == auth.ModeNone {
		log.Warn("--auth none: every caller is the one local owner, on every address this gateway listens on", "addr", cfg.Addr)
	}
	deps := gateway.Deps{Bucket: bucket, Requests: requests, Identify: authn.Authenticate, Links: authn.Links(), Pseudonyms: authn.Pseudonyms(), Changes: changes, Quotas: quotas, Log: log.With("component", "gateway"), Metrics: obs.metrics.Handler(), Queued: obs.queued, Keys: keys}
	if disp != nil {
		deps.Dispatch = disp
	}
	gw, err := gateway.New(cfg.Limits, deps)
	if err != nil {
		return err
	}
	if cfg.SweepEvery > 0 {
		stop := sweep(ctx, gw, cfg.Retention, cfg.SweepEvery)
		defer stop()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("addr %q: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: metrics.TraceHTTP(gw), ReadHeaderTimeout: 10 * time.Second}
	if err := writeEndpoints(data, cfg); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	fleetCtx, stopFleet := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFleet()
	resultsCtx, stopResults := context.WithCancel(context.WithoutCancel(ctx))
	defer stopResults()
	wg.Add(1)
	go func() { defer wg.Done(); errs <- ignoreClosed(srv.Serve(ln)) }()
	dispCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	if disp != nil {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- disp.Run(dispCtx) }()
	}
	work.start(fleetCtx, resultsCtx, &wg, errs, log)
	if cfg.Queues.gatewayOnly() {
		log.Info("pixmill is up", "url", "http://"+ln.Addr().String(), "data", data, "gateway_only", true, "requests_topic", redactURL(cfg.Queues.RequestsTopic), "bucket", cfg.Bucket)
	} else {
		log.Info("pixmill is up", "url", "http://"+ln.Addr().String(), "data", data, "workers", cfg.describeWorkers(), "bucket", cfg.Bucket)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	stopDispatch()
	stopFleet()
	stopResults()
	wg.Wait()
	return runErr
}

// processing is what up runs besides the gateway when the requests are
// consumed here: the worker fleet and what sizes it, the results handler,
// and the recorder of dead letters. The zero value, for a gateway that runs
// alone, runs nothing.
type processing struct {
	workers *fleet.Fleet
	results *runner.Runner
	parked  *runner.Runner // nil without a dead-letter subscription
	scale   func(context.Context)
	store   *records.Store
	slots   int
	closers []func()
}

// startProcessing opens the subscriptions and topics processing needs and
// makes its parts; close releases them.
func startProcessing(ctx context.Context, cfg Config, bucket *blob.Bucket, obs *observing, changes *gateway.Changes, quotas *quota.Tracker, log *slog.Logger) (p *processing, err error) {
	p = &processing{store: records.NewStore(bucket), slots: cfg.fleetSlots()}
	p.store.OnTaskChange(changes.TaskChanged)
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	responses, err := pubsub.OpenSubscription(ctx, cfg.Queues.ResponsesSubscription)
	if err != nil {
		return p, fmt.Errorf("responses subscription %q: %w", cfg.Queues.ResponsesSubscription, err)
	}
	p.closers = append(p.closers, func() { _ = responses.Shutdown(context.Background()) })
	deadletter, err := openTopic(ctx, "dead-letter topic", cfg.Queues.DeadletterTopic)
	if err != nil {
		return p, err
	}
	if deadletter != nil {
		p.closers = append(p.closers, func() { shutdownTopic(deadletter) })
	}
	resultsFn := &results.Function{Store: p.store, Stored: quotas.AddStored}
	resultsLog := log.With("component", "results")
	p.results, err = runner.New(responses, runner.Call(resultsFn.Handle), runner.Config{
		Concurrency: 16,
		Broker:      brokerFor(cfg.Queues.ResponsesSubscription),
		// A response is never given up on for a transient failure: the
		// task's record would stay "running" for good. Only events that
		// can never be read are parked.
		Middleware: chain{observe: obs.middleware(), deadletter: deadletter, maxAttempts: math.MaxInt32}.build(resultsLog),
	}, resultsLog)
	if err != nil {
		return p, err
	}
	if cfg.Queues.DeadletterSubscription != "" {
		sub, err := pubsub.OpenSubscription(ctx, cfg.Queues.DeadletterSubscription)
		if err != nil {
			return p, fmt.Errorf("dead-letter subscription %q: %w", cfg.Queues.DeadletterSubscription, err)
		}
		p.closers = append(p.closers, func() { _ = sub.Shutdown(context.Background()) })
		dl := &deadletterfn.Function{Store: p.store, Now: time.Now}
		dlLog := log.With("component", "deadletter")
		p.parked, err = runner.New(sub, func(ctx context.Context, d *runner.Delivery) error { return dl.HandleMessage(ctx, d.Msg) }, runner.Config{
			Broker:     brokerFor(cfg.Queues.DeadletterSubscription),
			Middleware: chain{}.build(dlLog),
		}, dlLog)
		if err != nil {
			return p, err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return p, fmt.Errorf("finding the pixmill binary for workers: %w", err)
	}
	p.workers, err = fleet.New(fleet.Config{
		Command: []string{self, "worker"},
		Env: []string{
			EnvBucket + "=" + cfg.Bucket,
			EnvRequestsSubscription + "=" + cfg.Queues.RequestsSubscription,
			EnvResponsesTopic + "=" + cfg.Queues.ResponsesTopic,
			EnvDeadletterTopic + "=" + cfg.Queues.DeadletterTopic,
			EnvAckWait + "=" + cfg.AckWait.String(),
			fmt.Sprintf("%s=%d", EnvConcurrency, cfg.Concurrency),
			fmt.Sprintf("%s=%d", EnvMaxAttempts, cfg.MaxAttempts),
		},
		Size:       cfg.fleetSize(),
		SlotEnv:    cfg.slotEnv,
		Output:     os.Stderr,
		MaxBackoff: cfg.RestartBackoffMax,
		Started:    obs.started,
	}, log.With("component", "fleet"))
	if err != nil {
		return p, err
	}
	p.scale, err = obs.scaler(cfg, p.workers, log.With("component", "autoscaler"))
	return p, err
}

// start runs the parts: the fleet and its autoscaler until fleetCtx ends,
// the handlers of responses and dead letters until resultsCtx ends. Each
// is counted on wg; a part that stops reports on errs.
func (p *processing) start(fleetCtx, resultsCtx context.Context, wg *sync.WaitGroup, errs chan<- error, log *slog.Logger) {
	if p.workers == nil {
		return
	}
	wg.Add(2)
	go func() { defer wg.Done(); errs <- p.workers.Run(fleetCtx) }()
	go func() { defer wg.Done(); errs <- p.results.Run(resultsCtx) }()
	if p.parked != nil {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- p.parked.Run(resultsCtx) }()
	}
	wg.Add(2)
	go func() { defer wg.Done(); p.workers.Report(fleetCtx, p.store, p.slots, log) }()
	go func() { defer wg.Done(); p.scale(fleetCtx) }()
}

// close releases what startProcessing opened, last opened first.
func (p *processing) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
}

// brokerFor picks what the runner can ask of the broker behind a
// subscription URL beyond gocloud.dev's portable API.
func brokerFor(subURL string) runner.Broker {
	return brokers.For(subURL)
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// sweep runs the gateway's retention sweeps every interval until the
// returned stop is called, which waits for a sweep under way to end.
func sweep(ctx context.Context, gw *gateway.Gateway, def records.Retention, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	t := time.NewTicker(every)
	done := make(chan struct{})
	go func() { defer close(done); gw.RunSweeps(ctx, def, t.C) }()
	return func() { cancel(); t.Stop(); <-done }
}

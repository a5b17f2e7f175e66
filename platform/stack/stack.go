// Package stack puts pixmill together: `pixmill up` (queue, bucket, gateway,
// results handler and a worker fleet in one command) and `pixmill worker`
// (one process of the fleet).
//
// Queues and the bucket are opened from gocloud.dev URLs, so a deployment
// changes configuration, not code. With no queue URLs, up starts a NATS
// JetStream server embedded in the process, durable under the data directory
// and listening on a free loopback port; with no bucket URL, it uses a file
// bucket under the data directory. A restart on the same directory keeps
// uploads, jobs and queued requests. With a requests topic and no
// subscriptions, up is a gateway alone, for functions that consume the
// requests elsewhere, as Knative Services behind a Broker do (see Queues).
package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events/records"
	deadletterfn "github.com/pixmill/pixmill/functions/deadletter"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/functions/results"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/embedded"
	"github.com/pixmill/pixmill/platform/fleet"
	"github.com/pixmill/pixmill/platform/gateway"
	"github.com/pixmill/pixmill/platform/jetstream"
	"github.com/pixmill/pixmill/platform/metrics"
	"github.com/pixmill/pixmill/platform/runner"
)

// Subjects and consumers of the embedded JetStream.
const (
	subjectRequests    = "pixmill.requests"
	subjectResponses   = "pixmill.responses"
	subjectDeadletter  = "pixmill.deadletter"
	consumerWorkers    = "workers"
	consumerResults    = "results"
	consumerDeadletter = "deadletter"
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
	work := &processing{}
	if !cfg.Queues.gatewayOnly() {
		work, err = startProcessing(ctx, cfg, bucket, obs, log)
		if err != nil {
			return err
		}
		defer work.close()
	}

	gw, err := gateway.New(cfg.Limits, gateway.Deps{Bucket: bucket, Requests: requests, Log: log.With("component", "gateway"), Metrics: obs.metrics.Handler(), Queued: obs.queued})
	if err != nil {
		return err
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
	errs := make(chan error, 4)
	fleetCtx, stopFleet := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFleet()
	resultsCtx, stopResults := context.WithCancel(context.WithoutCancel(ctx))
	defer stopResults()
	wg.Add(1)
	go func() { defer wg.Done(); errs <- ignoreClosed(srv.Serve(ln)) }()
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
func startProcessing(ctx context.Context, cfg Config, bucket *blob.Bucket, obs *observing, log *slog.Logger) (p *processing, err error) {
	p = &processing{store: records.NewStore(bucket), slots: cfg.fleetSlots()}
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
	resultsFn := &results.Function{Store: p.store}
	resultsLog := log.With("component", "results")
	p.results, err = runner.New(responses, runner.Call(resultsFn.Handle), runner.Config{
		Concurrency: 16,
		Broker:      brokerFor(cfg.Queues.ResponsesSubscription),
		// A response is never given up on for a transient failure: the
		// task's record would stay "running" for good. Only events that
		// can never be read are parked.
		Middleware: append(append(obs.middleware(), delivery(deadletter, nil, math.MaxInt32, resultsLog)...), runner.Recover(resultsLog)),
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
			Middleware: append(delivery(nil, nil, 0, dlLog), runner.Recover(dlLog)),
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
	go func() { defer wg.Done(); reportFleet(fleetCtx, p.store, p.workers, p.slots, log) }()
	go func() { defer wg.Done(); p.scale(fleetCtx) }()
}

// close releases what startProcessing opened, last opened first.
func (p *processing) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
}

// reportFleet tells the gateway, through a record, when the workers keep
// crashing: then unfinished jobs show "processing unavailable, retrying"
// instead of waiting in silence. It writes on every change, and refreshes a
// bad report so the gateway can tell a live one from one left by a
// supervisor that is gone.
func reportFleet(ctx context.Context, store *records.Store, workers *fleet.Fleet, size int, log *slog.Logger) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	var last records.FleetStatus
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		st := fleetStatus(workers.Crashes(now, time.Minute), size, now)
		if st.Healthy == last.Healthy && (st.Healthy || now.Sub(last.At) < 20*time.Second) {
			continue
		}
		if err := store.PutFleetStatus(ctx, st); err != nil {
			log.Warn("recording the fleet status", "err", err)
			continue
		}
		last = st
	}
}

// fleetStatus judges the fleet from its crashes in the last minute: more
// than one per worker slot, and at least three, is a crash loop rather than
// bad luck.
func fleetStatus(crashes, size int, now time.Time) records.FleetStatus {
	if crashes >= max(3, size+1) {
		return records.FleetStatus{Message: fmt.Sprintf("the processors stopped unexpectedly %d times in the last minute", crashes), At: now}
	}
	return records.FleetStatus{Healthy: true, At: now}
}

// startEmbedded starts the embedded JetStream on dir and provisions its
// streams. On SIGUSR1 it restarts the server on the same port and store —
// a broker outage drill for chaos tests; clients reconnect by themselves.
func startEmbedded(ctx context.Context, dir string, ackWait time.Duration, log *slog.Logger) (Queues, func(), error) {
	cfg := embedded.Config{Dir: dir, Logger: quieter(log.With("component", "nats"), slog.LevelWarn)}
	nats, err := embedded.Start(ctx, cfg)
	if err != nil {
		return Queues{}, nil, err
	}
	q, err := provision(ctx, nats.Addr(), ackWait)
	if err != nil {
		nats.Shutdown()
		return Queues{}, nil, err
	}
	log.Info("embedded JetStream started", "url", nats.URL(), "store", dir)
	var mu sync.Mutex
	restart := make(chan os.Signal, 1)
	signal.Notify(restart, syscall.SIGUSR1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-restart:
			}
			mu.Lock()
			log.Warn("restarting the embedded JetStream (SIGUSR1)")
			if nats != nil {
				_, port, _ := net.SplitHostPort(nats.Addr())
				cfg.Port, _ = strconv.Atoi(port)
				nats.Shutdown()
			}
			if nats, err = embedded.Start(context.Background(), cfg); err != nil {
				log.Error("the embedded JetStream did not come back", "err", err)
			}
			mu.Unlock()
		}
	}()
	return q, func() {
		signal.Stop(restart)
		close(done)
		mu.Lock()
		defer mu.Unlock()
		if nats != nil {
			nats.Shutdown()
		}
	}, nil
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
		RequestsTopic:          base + subjectRequests,
		RequestsSubscription:   base + subjectRequests + "?consumer=" + consumerWorkers + "&ack_wait=" + ackWait.String() + "&max_batch=1",
		ResponsesTopic:         base + subjectResponses,
		ResponsesSubscription:  base + subjectResponses + "?consumer=" + consumerResults,
		DeadletterTopic:        base + subjectDeadletter,
		DeadletterSubscription: base + subjectDeadletter + "?consumer=" + consumerDeadletter,
	}, nil
}

// brokerFor picks what the runner can ask of the broker behind a
// subscription URL beyond gocloud.dev's portable API.
func brokerFor(subURL string) runner.Broker {
	return brokers.For(subURL)
}

// Endpoints is what `pixmill up` tells other pixmill commands about where it
// keeps things, in DATA/endpoints.json: the embedded queue's port changes
// with every start.
type Endpoints struct {
	Bucket string `json:"bucket"`
	Queues
}

// EndpointsFile is the file under the data directory that holds Endpoints.
const EndpointsFile = "endpoints.json"

func writeEndpoints(data string, cfg Config) error {
	b, err := json.MarshalIndent(Endpoints{Bucket: cfg.Bucket, Queues: cfg.Queues}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(data, EndpointsFile), b, 0o600)
}

// ReadEndpoints reads what a running `pixmill up` on data wrote.
func ReadEndpoints(data string) (Endpoints, error) {
	var e Endpoints
	b, err := os.ReadFile(filepath.Join(data, EndpointsFile))
	if err != nil {
		return e, fmt.Errorf("no running pixmill up on %s? %w", data, err)
	}
	return e, json.Unmarshal(b, &e)
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

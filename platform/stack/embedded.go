package stack

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/embedded"
	"github.com/pixmill/pixmill/platform/jetstream"
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

// embeddedQueue is the JetStream server up runs in its own process when no
// queue URLs are given.
type embeddedQueue struct {
	mu   sync.Mutex
	cfg  embedded.Config
	nats *embedded.NATS // nil while a restart drill has it down
	log  *slog.Logger
}

// startEmbedded starts the embedded JetStream on dir, provisions its
// streams and returns the URLs of pixmill's queues on it; stop shuts it down.
func startEmbedded(ctx context.Context, dir string, ackWait time.Duration, log *slog.Logger) (q Queues, stop func(), err error) {
	e := &embeddedQueue{cfg: embedded.Config{Dir: dir, Logger: quieter(log.With("component", "nats"), slog.LevelWarn)}, log: log}
	if e.nats, err = embedded.Start(ctx, e.cfg); err != nil {
		return Queues{}, nil, err
	}
	q, err = provision(ctx, e.nats.Addr(), ackWait)
	if err != nil {
		e.nats.Shutdown()
		return Queues{}, nil, err
	}
	log.Info("embedded JetStream started", "url", e.nats.URL(), "store", dir)
	endDrill := e.drill()
	return q, func() {
		endDrill()
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.nats != nil {
			e.nats.Shutdown()
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
		if _, err := jetstream.EnsureStream(ctx, js, name, []string{subject}, &jetstream.StreamOptions{Anchor: true}); err != nil {
			return Queues{}, err
		}
	}
	base := "jetstream://" + addr + "/"
	return Queues{brokers.Queues{
		RequestsTopic:          base + subjectRequests,
		RequestsSubscription:   base + subjectRequests + "?consumer=" + consumerWorkers + "&ack_wait=" + ackWait.String() + "&max_batch=1",
		ResponsesTopic:         base + subjectResponses,
		ResponsesSubscription:  base + subjectResponses + "?consumer=" + consumerResults,
		DeadletterTopic:        base + subjectDeadletter,
		DeadletterSubscription: base + subjectDeadletter + "?consumer=" + consumerDeadletter,
	}}, nil
}

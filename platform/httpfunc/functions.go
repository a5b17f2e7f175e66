package httpfunc

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/blob"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/events/records"
	"github.com/pixmill/pixmill/functions/deadletter"
	"github.com/pixmill/pixmill/functions/edit"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/functions/results"
)

// startVips starts libvips once per process; an edit function whose bucket
// could not be opened must not start it again on the next event.
var startVips = sync.OnceValue(func() error { return imaging.Startup(imaging.DefaultConfig()) })

// openBucket opens the bucket named by PIXMILL_BUCKET. It outlives the
// event whose ctx opens it, so it is not bound to ctx's cancellation.
func (c Config) openBucket(ctx context.Context) (*blob.Bucket, error) {
	bucket, err := blob.OpenBucket(context.WithoutCancel(ctx), c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", EnvBucket, c.Bucket, err)
	}
	return bucket, nil
}

// Edit is the edit function (functions/edit) for the Functions Framework,
// configured by getenv: PIXMILL_BUCKET and PIXMILL_RESPONSES_TOPIC.
func Edit(getenv func(string) string, log *slog.Logger) func(context.Context, cloudevents.Event) error {
	cfg := LoadConfig(getenv)
	return Handler(func(ctx context.Context) (Func, error) {
		if err := cfg.validate(true); err != nil {
			return nil, err
		}
		if err := startVips(); err != nil {
			return nil, err
		}
		bucket, err := cfg.openBucket(ctx)
		if err != nil {
			return nil, err
		}
		topic, err := pubsub.OpenTopic(context.WithoutCancel(ctx), cfg.ResponsesTopic)
		if err != nil {
			bucket.Close()
			return nil, fmt.Errorf("%s %q: %w", EnvResponsesTopic, cfg.ResponsesTopic, err)
		}
		f := &edit.Function{Bucket: bucket, Responses: topic, Now: time.Now}
		return f.Handle, nil
	}, log)
}

// Results is the results function (functions/results) for the Functions
// Framework, configured by getenv: PIXMILL_BUCKET.
func Results(getenv func(string) string, log *slog.Logger) func(context.Context, cloudevents.Event) error {
	cfg := LoadConfig(getenv)
	return Handler(func(ctx context.Context) (Func, error) {
		if err := cfg.validate(false); err != nil {
			return nil, err
		}
		bucket, err := cfg.openBucket(ctx)
		if err != nil {
			return nil, err
		}
		f := &results.Function{Store: records.NewStore(bucket)}
		return f.Handle, nil
	}, log)
}

// DeadLetter is the dead-letter function (functions/deadletter) for the
// Functions Framework, configured by getenv: PIXMILL_BUCKET. It takes what
// a broker's own dead-letter mechanism delivers — Knative's deadLetterSink,
// a push subscription on Pub/Sub's dead-letter topic — records it for
// `pixmill dlq`, and records a parked request's task as failed, so that its
// owner is told. Every CloudEvent is recorded, readable or not: it answers
// 200 once the record is written and 503 when the bucket fails.
func DeadLetter(getenv func(string) string, log *slog.Logger) func(context.Context, cloudevents.Event) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := LoadConfig(getenv)
	return handler(func(ctx context.Context) (Func, error) {
		if err := cfg.validate(false); err != nil {
			return nil, err
		}
		bucket, err := cfg.openBucket(ctx)
		if err != nil {
			return nil, err
		}
		f := &deadletter.Function{Store: records.NewStore(bucket), Now: time.Now}
		return func(ctx context.Context, e cloudevents.Event) error {
			m, err := parked(e)
			if err != nil {
				return fault.Wrap(fault.InvalidArgument, err, "the dead letter is not a CloudEvent that can be kept")
			}
			if err := f.HandleMessage(ctx, m); err != nil {
				return err
			}
			log.Warn("dead letter recorded", "event", e.ID(), "type", e.Type(), "subject", e.Subject(), "reason", deadletter.CauseOf(m.Metadata).Detail)
			return nil
		}, nil
	}, log, false)
}

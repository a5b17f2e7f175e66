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

	"github.com/pixmill/pixmill/functions/edit"
	"github.com/pixmill/pixmill/functions/imaging"
	"github.com/pixmill/pixmill/functions/records"
	"github.com/pixmill/pixmill/functions/results"
)

// startVips starts libvips once per process; an edit function whose bucket
// could not be opened must not start it again on the next event.
var startVips = sync.OnceValue(func() error { return imaging.Startup(imaging.DefaultConfig()) })

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
		ctx = context.WithoutCancel(ctx)
		bucket, err := blob.OpenBucket(ctx, cfg.Bucket)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", EnvBucket, cfg.Bucket, err)
		}
		topic, err := pubsub.OpenTopic(ctx, cfg.ResponsesTopic)
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
		bucket, err := blob.OpenBucket(context.WithoutCancel(ctx), cfg.Bucket)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", EnvBucket, cfg.Bucket, err)
		}
		f := &results.Function{Store: records.NewStore(bucket)}
		return f.Handle, nil
	}, log)
}

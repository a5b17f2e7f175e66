package stack_test

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestKnativeDirectAddressing runs the Knative shape without Kubernetes:
// the Edit and Results functions served by pixmill-function, as the
// Knative Services run them, and `pixmill up` as a gateway alone, all on one
// file bucket, with every event a CloudEvent over HTTP (platform/cehttptopic).
// The gateway POSTs each request straight to the Edit server and the Edit
// server its responses straight to the Results server: Knative's direct
// addressing (a SinkBinding to a Service), with no Broker between them, so
// the Broker's retries and dead-letter sink, which are Knative's, are not
// exercised here.
func TestKnativeDirectAddressing(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	var photos []stacktest.Picture
	for _, p := range stacktest.Photos(t) {
		if len(p.Data) < 2<<20 && len(photos) < 4 {
			photos = append(photos, p)
		}
	}
	dir := t.TempDir()
	bucket := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "bucket"), RawQuery: "create_dir=1&no_tmp_dir=1"}).String()
	results := stacktest.Function(t, "Results", "PIXMILL_BUCKET="+bucket)
	edit := stacktest.Function(t, "Edit", "PIXMILL_BUCKET="+bucket, "PIXMILL_RESPONSES_TOPIC="+results+"/")
	p := stacktest.Up(t, filepath.Join(dir, "gateway"), "--bucket", bucket, "--requests-topic", edit+"/?timeout=2m")
	if !strings.Contains(p.Log(), "gateway_only=true") {
		t.Errorf("pixmill up did not start as a gateway alone:\n%s", p.Log())
	}
	c := client.New(p.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("photos", func(t *testing.T) {
		start := time.Now()
		ids := stacktest.Upload(t, ctx, c, photos)
		job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp, stacktest.BrightnessOp}})
		if err != nil {
			t.Fatal(err)
		}
		done := stacktest.WaitFinal(t, ctx, c, job.ID)
		t.Logf("%d photos edited in %s", len(photos), time.Since(start).Round(time.Millisecond))
		if done.State != api.JobSucceeded {
			t.Fatalf("job ended %s: %v", done.State, stacktest.Failures(done))
		}
		for _, task := range done.Tasks {
			if task.Attempts != 1 {
				t.Errorf("%s: %d attempts, want 1", task.Name, task.Attempts)
			}
		}
		if err := stacktest.CheckOutputs(ctx, c, done, ids, photos); err != nil {
			t.Error(err)
		}
	})

	t.Run("a crop that does not fit", func(t *testing.T) {
		ids := stacktest.Upload(t, ctx, c, stacktest.Generated(t, 1, 4))
		job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{json.RawMessage(`{"op":"crop","width":5000,"height":5000}`)}})
		if err != nil {
			t.Fatal(err)
		}
		done := stacktest.WaitFinal(t, ctx, c, job.ID)
		task := done.Tasks[0]
		if done.State != api.JobFailed || task.State != api.TaskFailed || task.Attempts != 1 || !strings.Contains(task.Error, "5000x5000 does not fit in the") {
			t.Errorf("job %s, task %+v: want failed on the first attempt with the reason", done.State, task)
		}
	})

	if w := p.Workers(); len(w) != 0 {
		t.Errorf("a gateway alone started worker processes %v", w)
	}
}

package backendtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// scaleOutPage is the docs page whose commands TestScaleOut runs.
const scaleOutPage = "docs/scale-out.md"

// ScaleOutPhotos is how many real photographs the scale-out scenario
// processes on each broker.
const ScaleOutPhotos = 300

// scaleOutBroker is one broker of the scale-out scenario: the URLs it gives
// each process, named after the test.
type scaleOutBroker struct {
	// block names the page's environment block for the broker.
	block         string
	service, addr string
	ackWait       time.Duration
	// env gives the PIXMILL_* queue variables for a test id.
	env func(id string) map[string]string
	// missing is the object an unprovisioned up must name.
	missing  func(id string) string
	teardown func(t *testing.T, id string)
}

func scaleOutBrokers() []scaleOutBroker {
	return []scaleOutBroker{
		{
			block: "jetstream", service: "nats", addr: NATSAddr, ackWait: 2 * time.Second,
			env:      func(id string) map[string]string { return queueEnv(natsQueues(id)) },
			missing:  func(id string) string { return streamName(id, "requests") },
			teardown: func(t *testing.T, id string) { teardownNATS(t, URLs{Name: id}) },
		},
		{
			block: "rabbit", service: "rabbitmq", addr: RabbitAddr, ackWait: 2 * time.Second,
			env: func(id string) map[string]string {
				base := "rabbit://pixmill-" + id + "."
				return queueEnv(brokers.Queues{
					RequestsTopic:          base + "requests",
					RequestsSubscription:   base + "requests?prefetch_count=1",
					ResponsesTopic:         base + "responses",
					ResponsesSubscription:  base + "responses?prefetch_count=32",
					DeadletterTopic:        base + "deadletter",
					DeadletterSubscription: base + "deadletter?prefetch_count=8",
				})
			},
			missing:  func(id string) string { return "pixmill-" + id + ".requests" },
			teardown: func(t *testing.T, id string) { teardownRabbit(t, URLs{Name: "pixmill-" + id}) },
		},
		{
			// Pub/Sub's shortest ack deadline is 10s.
			block: "gcppubsub", service: "pubsub", addr: PubSubAddr, ackWait: 10 * time.Second,
			env: func(id string) map[string]string {
				p := "gcppubsub://projects/" + PubSubProject + "/"
				return queueEnv(brokers.Queues{
					RequestsTopic:          p + "topics/pixmill-" + id + "-requests",
					RequestsSubscription:   p + "subscriptions/pixmill-" + id + "-requests?max_recv_batch_size=1",
					ResponsesTopic:         p + "topics/pixmill-" + id + "-responses",
					ResponsesSubscription:  p + "subscriptions/pixmill-" + id + "-responses",
					DeadletterTopic:        p + "topics/pixmill-" + id + "-deadletter",
					DeadletterSubscription: p + "subscriptions/pixmill-" + id + "-deadletter",
				})
			},
			missing:  func(id string) string { return "projects/" + PubSubProject + "/topics/pixmill-" + id + "-requests" },
			teardown: func(t *testing.T, id string) { teardownPubSub(t, URLs{Name: id}) },
		},
	}
}

// queueEnv is the environment that carries q, as the page writes it.
func queueEnv(q brokers.Queues) map[string]string {
	return map[string]string{
		"PIXMILL_REQUESTS_TOPIC":          q.RequestsTopic,
		"PIXMILL_REQUESTS_SUBSCRIPTION":   q.RequestsSubscription,
		"PIXMILL_RESPONSES_TOPIC":         q.ResponsesTopic,
		"PIXMILL_RESPONSES_SUBSCRIPTION":  q.ResponsesSubscription,
		"PIXMILL_DEADLETTER_TOPIC":        q.DeadletterTopic,
		"PIXMILL_DEADLETTER_SUBSCRIPTION": q.DeadletterSubscription,
	}
}

// TestScaleOut follows docs/scale-out.md on each external broker, with the
// S3 server as the bucket: the page's commands, run as separate processes
// standing for separate machines. Brokers run one after another: each
// scenario keeps both cores busy.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end suite")
	}
	page := readScaleOutPage(t)
	pics := scaleOutPhotos(t)
	for _, b := range scaleOutBrokers() {
		t.Run(b.block, func(t *testing.T) {
			start := time.Now()
			scaleOut(t, page, b, pics)
			t.Logf("%s: scale-out scenario took %s", b.block, time.Since(start).Round(time.Millisecond))
		})
	}
}

func scaleOut(t *testing.T, page scaleOutDoc, b scaleOutBroker, pics []stacktest.Picture) {
	Need(t, b.service, b.addr)
	id := strings.ToLower(events.NewID()[:12])
	bucket := setupS3(t, Params{ID: id})
	t.Cleanup(func() { teardownS3(t, bucket) })

	env, common := b.env(id), scaleOutCommon(bucket.Bucket, b)
	if err := page.sameAsTest(b, env, common); err != nil {
		t.Fatal(err)
	}
	for k, v := range common {
		t.Setenv(k, v)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	data := t.TempDir()

	// Unprovisioned: up stops at once, naming what is missing and the fix.
	out, err := runPixmill(t, 30*time.Second, append([]string{"up", "--data", data, "--addr", "127.0.0.1:0"}, page.commands["up"]...)...)
	if err == nil {
		t.Fatalf("pixmill up on an unprovisioned broker succeeded:\n%s", out)
	}
	for _, want := range []string{"not provisioned", b.missing(id), "pixmill provision"} {
		if !strings.Contains(out, want) {
			t.Errorf("pixmill up on an unprovisioned broker: %q not in its error:\n%s", want, out)
		}
	}

	// Provision, then again: the second run changes nothing.
	t.Cleanup(func() { b.teardown(t, id) })
	provision := append([]string{"provision"}, page.commands["provision"]...)
	out, err = runPixmill(t, time.Minute, provision...)
	if err != nil || !strings.Contains(out, "created") || strings.Contains(out, "DIFFERS") {
		t.Fatalf("first pixmill provision: %v\n%s", err, out)
	}
	out, err = runPixmill(t, time.Minute, provision...)
	if err != nil || !strings.Contains(out, "nothing to change") || strings.Contains(out, "created") {
		t.Fatalf("second pixmill provision changed something: %v\n%s", err, out)
	}

	gw := stacktest.Up(t, data, page.commands["up"]...)
	c := client.New(gw.URL, nil)
	w1 := startWorker(t, page.commands["worker"])
	w2 := startWorker(t, page.commands["worker"])

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	start := time.Now()
	ids := stacktest.Upload(t, ctx, c, pics)
	uploaded := time.Since(start)
	job, err := c.CreateJob(ctx, api.JobRequest{Images: ids, Ops: []json.RawMessage{stacktest.ThumbOp, stacktest.BrightnessOp}})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	// A fifth done: one machine dies, with no goodbye, and another joins.
	done := 0
	if err := stacktest.Eventually(ctx, 100*time.Millisecond, func() (bool, error) {
		j, err := c.Job(ctx, job.ID)
		done = succeeded(j)
		return done >= len(pics)/5, err
	}); err != nil {
		t.Fatalf("waiting for a fifth of the tasks: %v", err)
	}
	w1.kill()
	w3 := startWorker(t, page.commands["worker"])
	job = stacktest.WaitFinal(t, ctx, c, job.ID)
	processed := time.Since(start)
	if job.State != api.JobSucceeded || succeeded(job) != len(pics) || len(job.Tasks) != len(pics) {
		t.Fatalf("job ended %s with %d of %d tasks succeeded: %v", job.State, succeeded(job), len(pics), stacktest.Failures(job))
	}
	acked2, acked3 := w2.stop(), w3.stop()
	if acked3 == 0 {
		t.Errorf("the worker that joined mid-run took no work (the other survivor acked %d)", acked2)
	}
	start = time.Now()
	if err := stacktest.CheckOutputs(ctx, c, job, ids, pics); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d photos uploaded in %s; worker 1 killed after %d done, worker 3 joined; all processed in %s (%.1f/s); worker 2 acked %d, worker 3 %d; outputs checked in %s",
		b.block, len(pics), uploaded.Round(time.Millisecond), done, processed.Round(time.Millisecond),
		float64(len(pics))/processed.Seconds(), acked2, acked3, time.Since(start).Round(time.Millisecond))
}

func succeeded(j api.Job) int {
	n := 0
	for _, task := range j.Tasks {
		if task.State == api.TaskSucceeded {
			n++
		}
	}
	return n
}

// scaleOutPhotos are ScaleOutPhotos real photographs: the small ones of
// PIXMILL_PHOTOS, each uploaded several times under its own name. Small
// photos keep the scenario about the broker, not about libvips.
func scaleOutPhotos(t *testing.T) []stacktest.Picture {
	var small []stacktest.Picture
	for _, p := range stacktest.Photos(t) {
		if len(p.Data) < 400<<10 {
			small = append(small, p)
		}
	}
	if len(small) == 0 {
		t.Fatal("no photo under 400 KiB in PIXMILL_PHOTOS")
	}
	out := make([]stacktest.Picture, ScaleOutPhotos)
	for i := range out {
		p := small[i%len(small)]
		out[i] = stacktest.Picture{Name: fmt.Sprintf("%03d-%s", i, p.Name), Data: p.Data}
	}
	return out
}

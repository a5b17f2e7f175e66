//lint:file-ignore SA1019 the emulator is reached with the v1 API client, as in platform/brokers.

package backendtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	raw "cloud.google.com/go/pubsub/apiv1"
	pb "cloud.google.com/go/pubsub/apiv1/pubsubpb"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/pixmill/pixmill/platform/api"
	"github.com/pixmill/pixmill/platform/backendtest"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/client"
	"github.com/pixmill/pixmill/platform/stacktest"
)

// TestPubSubPush runs the Google Cloud shape of infra/terraform without the
// cloud: the Edit, Results and DeadLetter functions served by
// pixmill-function, as the Cloud Run services run them; Pub/Sub push
// subscriptions to them, with the requests subscription's dead-letter
// policy, made by the emulator; and `pixmill up` as a gateway alone
// publishing to the requests topic. Every hop is the real one but for
// Cloud Run itself, which the test stands in for by starting a function's
// process again when it dies, on the same address.
//
// A request whose edit kills the Edit process every time is delivered
// exactly as often as the dead-letter policy allows, parked by Pub/Sub on
// the dead-letter topic, pushed to the DeadLetter function, and shown to
// its owner as failed with the attempt count, while the other requests are
// edited.
func TestPubSubPush(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	backendtest.Need(t, "pubsub", backendtest.PubSubAddr)
	const attempts = 5 // Pub/Sub's smallest max delivery attempts
	deleteStalePushSubscriptions(t)

	dir := t.TempDir()
	bucket := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "bucket"), RawQuery: "create_dir=1&no_tmp_dir=1"}).String()
	cfg := brokers.PubSubConfig{
		Project: backendtest.PubSubProject, Prefix: "pixmill-push-" + strings.ToLower(time.Now().Format("150405.000")),
		MaxAttempts: attempts, AckDeadline: 10 * time.Second,
	}
	cfg.Prefix = strings.ReplaceAll(cfg.Prefix, ".", "")
	topic := func(name string) string {
		return "gcppubsub://projects/" + cfg.Project + "/topics/" + cfg.Prefix + "-" + name
	}
	// The push endpoints name the topic in their path, as infra/terraform's
	// do, so the framework can tell the event's source.
	path := func(name string) string { return "/projects/" + cfg.Project + "/topics/" + cfg.Prefix + "-" + name }

	results := stacktest.Function(t, "Results", "PIXMILL_BUCKET="+bucket)
	deadletter := stacktest.Function(t, "DeadLetter", "PIXMILL_BUCKET="+bucket)
	edit := stacktest.RestartingFunction(t, "Edit", "PIXMILL_BUCKET="+bucket, "PIXMILL_RESPONSES_TOPIC="+topic("responses"))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg.Push = &brokers.PushEndpoints{
		Edit: edit.URL + path("requests"), Results: results + path("responses"), DeadLetter: deadletter + path("deadletter"),
	}
	q, err := brokers.ProvisionPubSub(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := brokers.DeletePubSub(ctx, cfg); err != nil {
			t.Error(err)
		}
	})
	if q.RequestsSubscription != "" || q.RequestsTopic != topic("requests") {
		t.Fatalf("push provisioning returned %+v", q)
	}

	p := stacktest.Up(t, filepath.Join(dir, "gateway"), "--bucket", bucket, "--requests-topic", q.RequestsTopic)
	c := client.New(p.URL, nil)
	pics := stacktest.Generated(t, 9, 7)
	ids := stacktest.Upload(t, ctx, c, pics)
	start := time.Now()
	good, err := c.CreateJob(ctx, api.JobRequest{Images: ids[1:], Ops: []json.RawMessage{stacktest.ThumbOp, stacktest.BrightnessOp}})
	if err != nil {
		t.Fatal(err)
	}
	done := stacktest.WaitFinal(t, ctx, c, good.ID)
	if done.State != api.JobSucceeded {
		t.Fatalf("the ordinary job ended %s: %v", done.State, stacktest.Failures(done))
	}
	if err := stacktest.CheckOutputs(ctx, c, done, ids[1:], pics[1:]); err != nil {
		t.Error(err)
	}
	t.Logf("%d pictures edited through push subscriptions in %s", len(done.Tasks), time.Since(start).Round(time.Millisecond))

	// The poison request goes alone: the emulator pushes from one
	// subscription on a few threads, and a request cut off by a crash
	// beside it would fail its delivery too (on Cloud Run as well, with
	// more than one request per instance), which this test is not about.
	start = time.Now()
	bad, err := c.CreateJob(ctx, api.JobRequest{Images: ids[:1], Ops: []json.RawMessage{json.RawMessage(`{"op":"crash"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	parked := stacktest.WaitFinal(t, ctx, c, bad.ID)
	task := parked.Tasks[0]
	if parked.State != api.JobFailed || task.Attempts != attempts || task.Error == "" {
		t.Fatalf("poison job %s, task %+v: want failed after %d attempts, with a reason", parked.State, task, attempts)
	}
	if n := edit.Restarts(); n != attempts {
		t.Errorf("the Edit process died %d times, want %d: once per delivery of the poison request", n, attempts)
	}
	list, err := stacktest.Command(t, "dlq", "list", "--bucket", bucket)
	if err != nil || !strings.Contains(list, task.ID) {
		t.Fatalf("dlq list does not show the parked task %s (%v):\n%s", task.ID, err, list)
	}
	t.Logf("poison request parked by Pub/Sub after %d deliveries, its owner told %q, %s after submission", attempts, task.Error, time.Since(start).Round(time.Millisecond))
}

// deleteStalePushSubscriptions deletes the push subscriptions an earlier,
// killed run of this test left in the emulator. Each push subscription keeps
// one of the emulator's few push threads for as long as it exists, and
// with enough of them new subscriptions are never pushed from at all.
func deleteStalePushSubscriptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(backendtest.PubSubAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := raw.NewSubscriberClient(ctx, option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	it := sc.ListSubscriptions(ctx, &pb.ListSubscriptionsRequest{Project: "projects/" + backendtest.PubSubProject})
	for {
		s, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if s.GetPushConfig().GetPushEndpoint() == "" || !strings.Contains(s.GetName(), "/pixmill-push-") {
			continue
		}
		if err := sc.DeleteSubscription(ctx, &pb.DeleteSubscriptionRequest{Subscription: s.GetName()}); err != nil {
			t.Fatal(err)
		}
		t.Logf("deleted %s, left by an earlier run", s.GetName())
	}
}

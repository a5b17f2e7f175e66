package provision

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/brokers"
	"github.com/pixmill/pixmill/platform/embedded/embeddedtest"
)

func startNATS(t *testing.T) (string, natsjs.JetStream) {
	t.Helper()
	srv, js := embeddedtest.Start(t, "")
	return srv.Addr(), js
}

func natsQueues(addr string) brokers.Queues {
	base := "jetstream://" + addr + "/pixmill."
	return brokers.Queues{
		RequestsTopic:          base + "requests",
		RequestsSubscription:   base + "requests?consumer=workers&ack_wait=2s",
		ResponsesTopic:         base + "responses",
		ResponsesSubscription:  base + "responses?consumer=results",
		DeadletterTopic:        base + "deadletter",
		DeadletterSubscription: base + "deadletter?consumer=deadletter",
	}
}

type line struct {
	Kind, Name string
	Outcome    Outcome
}

func lines(r Report) []line {
	var out []line
	for _, it := range r.Items {
		out = append(out, line{it.Kind, it.Name, it.Outcome})
	}
	return out
}

// TestJetStream provisions an empty server, then again, then one whose
// requests stream and consumer were made otherwise.
func TestJetStream(t *testing.T) {
	addr, js := startNATS(t)
	ctx := t.Context()
	q := natsQueues(addr)
	o := Options{MaxAttempts: 5, AckWait: 2 * time.Second}

	if err := Check(ctx, q, o); fault.KindOf(err) != fault.NotFound || !strings.Contains(err.Error(), `stream "PIXMILL_REQUESTS" (requests-topic)`) || !strings.Contains(err.Error(), "pixmill provision") {
		t.Errorf("Check on an empty server: %v", err)
	}
	dry, err := Apply(ctx, q, Options{DryRun: true})
	if err != nil || dry.Count(Created) != 6 {
		t.Fatalf("dry run: %v, %+v", err, dry)
	}
	if _, err := js.Stream(ctx, "PIXMILL_REQUESTS"); err == nil {
		t.Fatal("the dry run created a stream")
	}

	want := []line{
		{"stream", "PIXMILL_REQUESTS", Created}, {"consumer", "PIXMILL_REQUESTS/workers", Created},
		{"stream", "PIXMILL_RESPONSES", Created}, {"consumer", "PIXMILL_RESPONSES/results", Created},
		{"stream", "PIXMILL_DEADLETTER", Created}, {"consumer", "PIXMILL_DEADLETTER/deadletter", Created},
	}
	for _, run := range []Outcome{Created, OK} {
		r, err := Apply(ctx, q, o)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i].Outcome = run
		}
		if d := cmp.Diff(want, lines(r)); d != "" {
			t.Errorf("run expecting %v: -want +got\n%s", run, d)
		}
	}
	if err := Check(ctx, q, o); err != nil {
		t.Errorf("Check after provisioning: %v", err)
	}

	// Made by hand, otherwise: reported, not changed.
	if err := js.DeleteStream(ctx, "PIXMILL_REQUESTS"); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, natsjs.StreamConfig{Name: "REQ", Subjects: []string{"pixmill.requests"}, Storage: natsjs.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateConsumer(ctx, "REQ", natsjs.ConsumerConfig{Durable: "workers", FilterSubject: "pixmill.requests", AckPolicy: natsjs.AckExplicitPolicy, AckWait: time.Minute}); err != nil {
		t.Fatal(err)
	}
	r, err := Apply(ctx, q, o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, it := range r.Items {
		if it.Outcome == Differs {
			got[it.Name] = it.Details
		}
	}
	wantDiffs := map[string][]string{
		"REQ":         {"retention is Limits, pixmill needs WorkQueue", "storage is Memory, pixmill needs File"},
		"REQ/workers": {"ack_wait is 1m0s, the URL asks for 2s"},
	}
	if d := cmp.Diff(wantDiffs, got); d != "" {
		t.Errorf("differences: -want +got\n%s", d)
	}
	s, err := js.Stream(ctx, "REQ")
	if err != nil || s.CachedInfo().Config.Storage != natsjs.MemoryStorage {
		t.Errorf("the stream that differs was changed: %v", err)
	}

	// --update: the consumer changes in place; the stream's storage
	// cannot, and it still differs, with the server's reason.
	o.Update = true
	r, err = Apply(ctx, q, o)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]Outcome{}
	for _, it := range r.Items {
		outcomes[it.Name] = it.Outcome
		if it.Name == "REQ" && !strings.Contains(strings.Join(it.Details, "; "), "not updated:") {
			t.Errorf("stream REQ: details %q do not say why it was not updated", it.Details)
		}
	}
	if outcomes["REQ"] != Differs || outcomes["REQ/workers"] != Updated {
		t.Errorf("with Update: stream %v, consumer %v; want Differs, Updated", outcomes["REQ"], outcomes["REQ/workers"])
	}
	c, err := js.Consumer(ctx, "REQ", "workers")
	if err != nil || c.CachedInfo().Config.AckWait != 2*time.Second {
		t.Errorf("the consumer was not updated: %v", err)
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name string
		q    brokers.Queues
		o    Options
		kind fault.Kind
		want string
	}{
		{"no URLs", brokers.Queues{}, Options{}, fault.InvalidArgument, "no URLs given"},
		{"bad jetstream URL", brokers.Queues{RequestsTopic: "jetstream://127.0.0.1/x"}, Options{}, fault.InvalidArgument, "requests-topic"},
		{"unreachable NATS", brokers.Queues{RequestsTopic: "jetstream://127.0.0.1:1/x"}, Options{}, fault.Transient, "requests-topic: cannot reach NATS at nats://127.0.0.1:1"},
		{"Pub/Sub lease", brokers.Queues{RequestsSubscription: "gcppubsub://projects/p/subscriptions/s"}, Options{AckWait: 2 * time.Second}, fault.InvalidArgument, "ack-wait: 2s is outside Pub/Sub's ack deadlines"},
		{"bad Pub/Sub URL", brokers.Queues{RequestsTopic: "gcppubsub://projects/p/subscriptions/s"}, Options{}, fault.InvalidArgument, "requests-topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:1")
			_, err := Apply(t.Context(), tt.q, tt.o)
			if fault.KindOf(err) != tt.kind || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Apply: %v (kind %s), want %s containing %q", err, fault.KindOf(err), tt.kind, tt.want)
			}
		})
	}
}

func TestSkipped(t *testing.T) {
	q := brokers.Queues{RequestsTopic: "http://broker-ingress.knative-eventing.svc.cluster.local/pixmill/default"}
	r, err := Apply(t.Context(), q, Options{})
	if err != nil || len(r.Items) != 1 || r.Items[0].Outcome != Skipped {
		t.Errorf("Apply on an http:// topic: %v, %+v", err, r)
	}
	if err := Check(t.Context(), q, Options{}); err != nil {
		t.Errorf("Check on an http:// topic: %v", err)
	}
}

func TestPubSubPath(t *testing.T) {
	tests := []struct {
		url, kind, want string
		ok              bool
	}{
		{"gcppubsub://projects/p/topics/t", "topics", "projects/p/topics/t", true},
		{"gcppubsub://p/t", "topics", "projects/p/topics/t", true},
		{"gcppubsub://projects/p/subscriptions/s?max_recv_batch_size=1", "subscriptions", "projects/p/subscriptions/s", true},
		{"gcppubsub://p/s", "subscriptions", "projects/p/subscriptions/s", true},
		{"gcppubsub://projects/p/subscriptions/s", "topics", "", false},
		{"gcppubsub://p", "topics", "", false},
		{"gcppubsub://p/a/b", "topics", "", false},
	}
	for _, tt := range tests {
		got, err := pubsubPath("requests-topic", tt.url, tt.kind)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("pubsubPath(%q, %q) = %q, %v; want %q, ok %v", tt.url, tt.kind, got, err, tt.want, tt.ok)
		}
	}
}

func TestReportWrite(t *testing.T) {
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{"second run", Report{Items: []Item{{Kind: "queue", Name: "q", For: "requests-subscription", Outcome: OK}}},
			"ok            queue q (requests-subscription)\nnothing to change: 1 objects already as pixmill needs them\n"},
		{"dry run", Report{DryRun: true, Items: []Item{{Kind: "topic", Name: "t", For: "requests-topic", Outcome: Created}}},
			"would create  topic t (requests-topic)\ndry run: 1 to create, 0 to update, 0 already right, 0 differ\n"},
		{"differs", Report{Items: []Item{{Kind: "queue", Name: "q", For: "requests-subscription", Outcome: Differs, Details: []string{"a", "b"}}, {Kind: "exchange", Name: "e", For: "requests-topic", Outcome: Created}}},
			"DIFFERS       queue q (requests-subscription): a; b\ncreated       exchange e (requests-topic)\n1 created, 0 updated, 0 already right, 1 differ\nobjects that differ were not changed: --update changes what the broker can change in place; changing the rest can lose queued work: fix it by hand, or delete the object and run pixmill provision again\n"},
		{"updated", Report{Items: []Item{{Kind: "subscription", Name: "s", For: "requests-subscription", Outcome: Updated, Details: []string{"ack_deadline_seconds is 10, pixmill needs 20"}}}},
			"updated       subscription s (requests-subscription): ack_deadline_seconds is 10, pixmill needs 20\n0 created, 1 updated, 0 already right, 0 differ\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := tt.r.Write(&b); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tt.want, b.String()); d != "" {
			t.Errorf("%s: -want +got\n%s", tt.name, d)
		}
	}
}

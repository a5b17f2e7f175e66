package jetstream

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"gocloud.dev/pubsub"
)

func TestParseSubscriptionURL(t *testing.T) {
	defaults := SubscriptionOptions{Consumer: "workers", AckWait: 30 * time.Second, MaxDeliver: -1, MaxBatch: 1, FetchWait: time.Second}
	with := func(f func(*SubscriptionOptions)) SubscriptionOptions {
		o := defaults
		f(&o)
		return o
	}
	tests := []struct {
		url     string
		server  string
		subject string
		opts    SubscriptionOptions
	}{
		{"jetstream://127.0.0.1:4333/pixmill.requests?consumer=workers", "nats://127.0.0.1:4333", "pixmill.requests", defaults},
		{
			"jetstream://127.0.0.1:4333/pixmill.requests?consumer=workers&ack_wait=2m&max_deliver=5&max_batch=8",
			"nats://127.0.0.1:4333", "pixmill.requests",
			with(func(o *SubscriptionOptions) { o.AckWait, o.MaxDeliver, o.MaxBatch = 2*time.Minute, 5, 8 }),
		},
		{"jetstream://127.0.0.1:4333/pixmill.>?consumer=workers&max_deliver=-1", "nats://127.0.0.1:4333", "pixmill.>", defaults},
		{"jetstream://me:secret@nats.internal:4222/a.*.c?consumer=workers", "nats://me:secret@nats.internal:4222", "a.*.c", defaults},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			p, opts, err := parseSubscriptionURL(mustURL(t, tt.url))
			if err != nil {
				t.Fatal(err)
			}
			if p.server != tt.server || p.subject != tt.subject {
				t.Errorf("server, subject = %q, %q; want %q, %q", p.server, p.subject, tt.server, tt.subject)
			}
			if diff := cmp.Diff(tt.opts, opts); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSubscriptionURLRejected(t *testing.T) {
	tests := []struct {
		url  string
		want []string // substrings of the error, naming key and value
	}{
		{"jetstream://127.0.0.1:4333/s?consumer=w&ackwait=1s", []string{`unknown query parameter "ackwait"`, "ack_wait"}},
		{"jetstream://127.0.0.1:4333/s?consumer=w&ack_wait=soon", []string{`ack_wait "soon" is not a duration`}},
		{"jetstream://127.0.0.1:4333/s?consumer=w&ack_wait=-1s", []string{`ack_wait "-1s" must be positive`}},
		{"jetstream://127.0.0.1:4333/s?consumer=w&max_deliver=0", []string{`max_deliver "0" must be -1 (unlimited) or at least 1`}},
		{"jetstream://127.0.0.1:4333/s?consumer=w&max_deliver=many", []string{`max_deliver "many" is not an integer`}},
		{"jetstream://127.0.0.1:4333/s?consumer=w&max_batch=0", []string{`max_batch "0" must be at least 1`}},
		{"jetstream://127.0.0.1:4333/s?consumer=w&max_batch=1&max_batch=2", []string{`query parameter "max_batch" given 2 times`}},
		{"jetstream://127.0.0.1:4333/s", []string{"consumer is required"}},
		{"jetstream://127.0.0.1:4333/s?consumer=a.b", []string{`consumer "a.b" must not contain`}},
		{"jetstream://127.0.0.1:4333/?consumer=w", []string{"subject is missing"}},
		{"jetstream://127.0.0.1:4333/a..b?consumer=w", []string{`subject "a..b" is not a valid NATS subject`}},
		{"jetstream://127.0.0.1:4333/a.>.b?consumer=w", []string{`'>' must be the last token`}},
		{"jetstream:///s?consumer=w", []string{"needs a server as host:port"}},
		{"jetstream://127.0.0.1/s?consumer=w", []string{"needs a server as host:port"}},
		{
			"jetstream://127.0.0.1:4333/s?max_batch=x&max_deliver=y&color=red",
			[]string{`max_batch "x"`, `max_deliver "y"`, `"color"`, "consumer is required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, _, err := parseSubscriptionURL(mustURL(t, tt.url))
			if err == nil {
				t.Fatal("parsed, want error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseTopicURL(t *testing.T) {
	p, opts, err := parseTopicURL(mustURL(t, "jetstream://127.0.0.1:4333/pixmill.requests?msg_id_key=ce-id"))
	if err != nil {
		t.Fatal(err)
	}
	if p.server != "nats://127.0.0.1:4333" || p.subject != "pixmill.requests" || opts.MsgIDKey != "ce-id" {
		t.Errorf("got %+v %+v", p, opts)
	}

	for url, want := range map[string]string{
		"jetstream://127.0.0.1:4333/pixmill.*":                   "cannot publish to a wildcard subject",
		"jetstream://127.0.0.1:4333/pixmill.requests?x=1":        `unknown query parameter "x" (known: msg_id_key)`,
		"jetstream://127.0.0.1:4333/s?consumer=w":                `unknown query parameter "consumer"`,
		"jetstream://127.0.0.1:4333/pixmill%20requests":          "not a valid NATS subject",
		"jetstream://127.0.0.1:4333/s?msg_id_key=a&msg_id_key=b": `"msg_id_key" given 2 times`,
	} {
		if _, _, err := parseTopicURL(mustURL(t, url)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseTopicURL(%q) = %v, want error mentioning %q", url, err, want)
		}
	}
}

func TestSchemeRegistered(t *testing.T) {
	mux := pubsub.DefaultURLMux()
	if !mux.ValidTopicScheme(Scheme) || !mux.ValidSubscriptionScheme(Scheme) {
		t.Errorf("scheme %q is not registered for topics and subscriptions", Scheme)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestURLOpener opens a topic and a subscription by URL, as the platform
// does, and checks the consumer they made and the connection they share.
func TestURLOpener(t *testing.T) {
	q := newQueue(t)
	o := &URLOpener{}
	defer o.Close()
	mux := new(pubsub.URLMux)
	mux.RegisterTopic(Scheme, o)
	mux.RegisterSubscription(Scheme, o)
	base := "jetstream://" + q.srv.Addr() + "/" + q.subject

	top, err := mux.OpenTopic(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Shutdown(context.Background())
	sub, err := mux.OpenSubscription(t.Context(), base+"?consumer=editors&ack_wait=45s&max_deliver=7&max_batch=2")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Shutdown(context.Background())

	if err := top.Send(t.Context(), &pubsub.Message{Body: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	m := receive(t, sub, 5*time.Second)
	m.Ack()
	if string(m.Body) != "hello" {
		t.Errorf("got %q", m.Body)
	}

	var c natsjs.Consumer
	if !sub.As(&c) {
		t.Fatal("Subscription.As(*jetstream.Consumer) failed")
	}
	cfg := c.CachedInfo().Config
	want := natsjs.ConsumerConfig{Durable: "editors", FilterSubject: q.subject, AckPolicy: natsjs.AckExplicitPolicy, AckWait: 45 * time.Second, MaxDeliver: 7}
	got := natsjs.ConsumerConfig{Durable: cfg.Durable, FilterSubject: cfg.FilterSubject, AckPolicy: cfg.AckPolicy, AckWait: cfg.AckWait, MaxDeliver: cfg.MaxDeliver}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("consumer config (-want +got):\n%s", diff)
	}

	var tjs, sjs natsjs.JetStream
	if !top.As(&tjs) || !sub.As(&sjs) || tjs.Conn() != sjs.Conn() {
		t.Error("topic and subscription on one server do not share a connection")
	}

	_, err = mux.OpenSubscription(t.Context(), "jetstream://"+q.srv.Addr()+"/nobody.listens?consumer=w")
	if err == nil || !strings.Contains(err.Error(), `"nobody.listens"`) {
		t.Errorf("subscription on a subject no stream holds: %v, want an error naming the subject", err)
	}
	_, err = mux.OpenTopic(t.Context(), "jetstream://"+q.srv.Addr()+"/s?bogus=1")
	if err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("unknown parameter: %v, want an error naming it", err)
	}
}

package jetstream

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

func TestStreamName(t *testing.T) {
	tests := []struct{ subject, want string }{
		{"pixmill.requests", "PIXMILL_REQUESTS"},
		{"pixmill.abc123.deadletter", "PIXMILL_ABC123_DEADLETTER"},
		{"pixmill.*.requests", "PIXMILL___REQUESTS"},
	}
	for _, tt := range tests {
		if got := StreamName(tt.subject); got != tt.want {
			t.Errorf("StreamName(%q) = %q, want %q", tt.subject, got, tt.want)
		}
	}
}

func TestStreamDiff(t *testing.T) {
	want := StreamConfig("PIXMILL_REQUESTS", []string{"pixmill.requests"}, &StreamOptions{Replicas: 3})
	tests := []struct {
		name string
		edit func(*natsjs.StreamConfig)
		want []string
	}{
		{"same", func(*natsjs.StreamConfig) {}, nil},
		{"operator's limits are theirs", func(c *natsjs.StreamConfig) { c.MaxAge = time.Hour; c.MaxBytes = 1 << 30 }, nil},
		{"more subjects", func(c *natsjs.StreamConfig) { c.Subjects = append(c.Subjects, "other") }, nil},
		{"limits retention", func(c *natsjs.StreamConfig) { c.Retention = natsjs.LimitsPolicy }, []string{"retention is Limits, pixmill needs WorkQueue"}},
		{"one replica", func(c *natsjs.StreamConfig) { c.Replicas = 1 }, []string{"replicas is 1, pixmill was asked for 3"}},
		{"another subject", func(c *natsjs.StreamConfig) { c.Subjects = []string{"x"} }, []string{`subjects are ["x"], pixmill needs "pixmill.requests" among them`}},
	}
	for _, tt := range tests {
		have := want
		have.Subjects = append([]string(nil), want.Subjects...)
		tt.edit(&have)
		if d := cmp.Diff(tt.want, StreamDiff(have, want)); d != "" {
			t.Errorf("%s: -want +got\n%s", tt.name, d)
		}
	}
}

func TestConsumerDiff(t *testing.T) {
	want := ConsumerConfig("pixmill.requests", SubscriptionOptions{Consumer: "workers", AckWait: 2 * time.Second})
	tests := []struct {
		name string
		edit func(*natsjs.ConsumerConfig)
		want []string
	}{
		{"same", func(*natsjs.ConsumerConfig) {}, nil},
		{"lease", func(c *natsjs.ConsumerConfig) { c.AckWait = time.Minute }, []string{"ack_wait is 1m0s, the URL asks for 2s"}},
		{"deliveries", func(c *natsjs.ConsumerConfig) { c.MaxDeliver = 3 }, []string{"max_deliver is 3, the URL asks for -1"}},
		{"filter", func(c *natsjs.ConsumerConfig) { c.FilterSubject = "" }, []string{`filter_subject is "", pixmill needs "pixmill.requests"`}},
	}
	for _, tt := range tests {
		have := want
		tt.edit(&have)
		if d := cmp.Diff(tt.want, ConsumerDiff(have, want)); d != "" {
			t.Errorf("%s: -want +got\n%s", tt.name, d)
		}
	}
}

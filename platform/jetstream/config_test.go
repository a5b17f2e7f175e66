package jetstream

import (
	"strings"
	"testing"
	"time"
)

// TestOpenSubscriptionRejectsOptions checks options given in code, which
// fail before the server is asked anything.
func TestOpenSubscriptionRejectsOptions(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		opts    SubscriptionOptions
		want    []string
	}{
		{"no consumer", "s", SubscriptionOptions{}, []string{"consumer is required"}},
		{"bad consumer", "s", SubscriptionOptions{Consumer: "a b"}, []string{`consumer "a b"`}},
		{"negative ack wait", "s", SubscriptionOptions{Consumer: "w", AckWait: -time.Second}, []string{"ack_wait -1s"}},
		{"max deliver", "s", SubscriptionOptions{Consumer: "w", MaxDeliver: -2}, []string{"max_deliver -2"}},
		{"max batch", "s", SubscriptionOptions{Consumer: "w", MaxBatch: -1}, []string{"max_batch -1"}},
		{"fetch wait", "s", SubscriptionOptions{Consumer: "w", FetchWait: -time.Second}, []string{"fetch wait -1s"}},
		{"subject", "a..b", SubscriptionOptions{Consumer: "w"}, []string{`subject "a..b"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenSubscription(t.Context(), nil, tt.subject, &tt.opts)
			if err == nil {
				t.Fatal("opened, want error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestOpenTopicRejectsSubject(t *testing.T) {
	for _, subject := range []string{"", "a.*", "a.>", "a b"} {
		if _, err := OpenTopic(nil, subject, nil); err == nil {
			t.Errorf("OpenTopic(%q) succeeded, want error", subject)
		}
	}
}

//lint:file-ignore SA1019 the specs are cloud.google.com/go/pubsub/apiv1 types.
package brokers_test

import (
	"testing"
	"time"

	pb "cloud.google.com/go/pubsub/apiv1/pubsubpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/pixmill/pixmill/platform/brokers"
)

func TestPubSubDiff(t *testing.T) {
	want := brokers.PubSubRequestsSubscription("projects/p/subscriptions/r", "projects/p/topics/r", "projects/p/topics/d", 30*time.Second, brokers.PubSubDeadLetterAttempts(5, false))
	tests := []struct {
		name string
		edit func(*pb.Subscription)
		want []string
	}{
		{"same", func(*pb.Subscription) {}, nil},
		{"lease", func(s *pb.Subscription) { s.AckDeadlineSeconds = 10 }, []string{"ack_deadline_seconds is 10, pixmill needs 30"}},
		{"no dead-letter policy", func(s *pb.Subscription) { s.DeadLetterPolicy = nil }, []string{"dead_letter_policy is none, pixmill needs 6 attempts to projects/p/topics/d"}},
		{"no retry policy", func(s *pb.Subscription) { s.RetryPolicy = nil }, []string{"retry_policy is none, pixmill needs 1s to 1m0s"}},
		{"other topic", func(s *pb.Subscription) { s.Topic = "projects/p/topics/x" }, []string{"topic is projects/p/topics/x, pixmill needs projects/p/topics/r"}},
	}
	for _, tt := range tests {
		have := proto.Clone(want).(*pb.Subscription)
		tt.edit(have)
		if d := cmp.Diff(tt.want, brokers.PubSubDiff(have, want)); d != "" {
			t.Errorf("%s: -want +got\n%s", tt.name, d)
		}
	}
}

func TestPubSubDeadLetterAttempts(t *testing.T) {
	tests := []struct {
		max  int
		push bool
		want int
	}{
		{1, false, 5}, {4, false, 5}, {5, false, 6}, {5, true, 5}, {9, true, 9},
	}
	for _, tt := range tests {
		if got := brokers.PubSubDeadLetterAttempts(tt.max, tt.push); got != tt.want {
			t.Errorf("PubSubDeadLetterAttempts(%d, %v) = %d, want %d", tt.max, tt.push, got, tt.want)
		}
	}
}

package jetstream

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
)

// ParseTopicURL reads a jetstream:// topic URL as OpenTopicURL does: the
// server (nats://[user[:password]@]host:port) and the subject. Errors name
// the bad part.
func ParseTopicURL(s string) (server, subject string, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", "", fmt.Errorf("jetstream: topic URL does not parse: %w", err)
	}
	p, _, err := parseTopicURL(u)
	return p.server, p.subject, err
}

// ParseSubscriptionURL reads a jetstream:// subscription URL as
// OpenSubscriptionURL does: the server, the subject and the consumer's
// options, defaults filled in.
func ParseSubscriptionURL(s string) (server, subject string, opts SubscriptionOptions, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", "", opts, fmt.Errorf("jetstream: subscription URL does not parse: %w", err)
	}
	p, opts, err := parseSubscriptionURL(u)
	return p.server, p.subject, opts, err
}

// StreamName is the name pixmill gives the stream that holds subject:
// pixmill.requests is held by PIXMILL_REQUESTS. Stream names cannot hold
// the dots of a subject.
func StreamName(subject string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "*", "_", ">", "_").Replace(subject))
}

// StreamDiff names each setting of an existing stream, have, that is not
// what want (from StreamConfig) asks for. Only what pixmill relies on is
// compared: retention (a work queue deletes what is acked and allows one
// consumer per subject), file storage (queued work survives a restart),
// replicas, and the subjects the stream holds. Limits an operator set
// (age, size) are theirs.
func StreamDiff(have, want natsjs.StreamConfig) []string {
	var d []string
	if have.Retention != want.Retention {
		d = append(d, fmt.Sprintf("retention is %s, pixmill needs %s", have.Retention, want.Retention))
	}
	if have.Storage != want.Storage {
		d = append(d, fmt.Sprintf("storage is %s, pixmill needs %s", have.Storage, want.Storage))
	}
	if max(have.Replicas, 1) != max(want.Replicas, 1) {
		d = append(d, fmt.Sprintf("replicas is %d, pixmill was asked for %d", max(have.Replicas, 1), max(want.Replicas, 1)))
	}
	for _, s := range want.Subjects {
		if !slices.Contains(have.Subjects, s) {
			d = append(d, fmt.Sprintf("subjects are %q, pixmill needs %q among them", have.Subjects, s))
		}
	}
	return d
}

// ConsumerDiff names each setting of an existing durable consumer, have,
// that is not what want (from ConsumerConfig) asks for.
func ConsumerDiff(have, want natsjs.ConsumerConfig) []string {
	var d []string
	if have.FilterSubject != want.FilterSubject {
		d = append(d, fmt.Sprintf("filter_subject is %q, pixmill needs %q", have.FilterSubject, want.FilterSubject))
	}
	if have.AckPolicy != want.AckPolicy {
		d = append(d, fmt.Sprintf("ack_policy is %s, pixmill needs %s", have.AckPolicy, want.AckPolicy))
	}
	if have.AckWait != want.AckWait {
		d = append(d, fmt.Sprintf("ack_wait is %s, the URL asks for %s", have.AckWait.Round(time.Millisecond), want.AckWait))
	}
	if have.MaxDeliver != want.MaxDeliver {
		d = append(d, fmt.Sprintf("max_deliver is %d, the URL asks for %d", have.MaxDeliver, want.MaxDeliver))
	}
	return d
}

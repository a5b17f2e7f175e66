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
	d := differences(
		setting{"retention", have.Retention, want.Retention, needs},
		setting{"storage", have.Storage, want.Storage, needs},
		setting{"replicas", max(have.Replicas, 1), max(want.Replicas, 1), "pixmill was asked for"},
	)
	for _, s := range want.Subjects {
		if !slices.Contains(have.Subjects, s) {
			d = append(d, fmt.Sprintf("subjects are %q, pixmill needs %q among them", have.Subjects, s))
		}
	}
	return d
}

// ConsumerDiff names each setting of an existing durable consumer, have,
// that is not what want (from ConsumerConfig) asks for. Lease times are
// compared to the millisecond.
func ConsumerDiff(have, want natsjs.ConsumerConfig) []string {
	return differences(
		setting{"filter_subject", fmt.Sprintf("%q", have.FilterSubject), fmt.Sprintf("%q", want.FilterSubject), needs},
		setting{"ack_policy", have.AckPolicy, want.AckPolicy, needs},
		setting{"ack_wait", have.AckWait.Round(time.Millisecond), want.AckWait.Round(time.Millisecond), urlAsks},
		setting{"max_deliver", have.MaxDeliver, want.MaxDeliver, urlAsks},
	)
}

// Who wants a setting's value: pixmill's design, or the URL it was given.
const (
	needs   = "pixmill needs"
	urlAsks = "the URL asks for"
)

// setting is one setting of a stream or consumer, as found and as wanted.
type setting struct {
	name       string
	have, want any // comparable values
	who        string
}

// differences names the settings whose values differ, in order.
func differences(settings ...setting) []string {
	var d []string
	for _, s := range settings {
		if s.have != s.want {
			d = append(d, fmt.Sprintf("%s is %v, %s %v", s.name, s.have, s.who, s.want))
		}
	}
	return d
}

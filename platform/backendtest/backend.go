package backendtest

import (
	"testing"
	"time"

	"github.com/pixmill/pixmill/platform/brokers"
)

// Backend is one queue and bucket combination under test.
type Backend struct {
	Name string
	// AckWait is the lease the backend's requests subscription gives (the
	// value of pixmill up --ack-wait); it bounds how soon a dead worker's
	// request comes back.
	AckWait time.Duration
	// Setup makes fresh queues and a bucket, named uniquely for this test so
	// that runs do not collide, and returns their URLs. Empty URLs take
	// pixmill up's defaults (the embedded JetStream, a file bucket). It
	// skips the test, or fails it under CI, when its service is down.
	Setup func(t testing.TB, p Params) URLs
	// Teardown removes what Setup made; nil when there is nothing to remove.
	Teardown func(t testing.TB, u URLs)
}

// Params are what Setup must provision for.
type Params struct {
	// ID is unique to the test; names of queues and buckets contain it.
	ID string
	// MaxAttempts is the platform's --max-attempts; brokers with their own
	// dead-lettering set it one step later (see package brokers).
	MaxAttempts int
}

// URLs are what pixmill up is given.
type URLs struct {
	Bucket string
	Queues brokers.Queues
	// Name is kept for Teardown: the stream, queue or bucket prefix Setup
	// made.
	Name string
}

// args turns u into pixmill up flags.
func (u URLs) args() []string {
	var a []string
	add := func(flag, v string) {
		if v != "" {
			a = append(a, "--"+flag, v)
		}
	}
	add("bucket", u.Bucket)
	add("requests-topic", u.Queues.RequestsTopic)
	add("requests-subscription", u.Queues.RequestsSubscription)
	add("responses-topic", u.Queues.ResponsesTopic)
	add("responses-subscription", u.Queues.ResponsesSubscription)
	add("deadletter-topic", u.Queues.DeadletterTopic)
	add("deadletter-subscription", u.Queues.DeadletterSubscription)
	return a
}

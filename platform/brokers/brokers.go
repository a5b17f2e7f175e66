package brokers

import (
	"net/url"
	"strconv"

	"github.com/pixmill/pixmill/platform/jetstream"
	"github.com/pixmill/pixmill/platform/runner"
)

// For returns what the runner can ask of the broker behind subURL. An
// unknown scheme, or a URL that does not parse, gets the portable API only.
func For(subURL string) runner.Broker {
	u, err := url.Parse(subURL)
	if err != nil {
		return runner.Broker{}
	}
	switch u.Scheme {
	case jetstream.Scheme:
		return runner.Broker{DeliveryCount: jetstream.DeliveryCount, ExtendLease: jetstream.ExtendLease, NackWithDelay: jetstream.NackWithDelay}
	case pubsubScheme:
		return pubSubBroker(u)
	case rabbitScheme:
		return runner.Broker{DeliveryCount: RabbitDeliveryCount, NackWithDelay: delayedNack}
	default:
		return runner.Broker{}
	}
}

// DefaultPrefetch is how many requests a worker receives ahead on subURL
// unless told otherwise: 1, except on Pub/Sub, where it is 0.
//
// To receive ahead, a worker keeps a receive pending while it works; if it
// dies then (a picture that crashes libvips), the broker may answer that
// receive after the death and so hand a request to nobody. RabbitMQ pushes
// only up to prefetch_count, JetStream's pull requests die with their
// connection, and a request handed to a dead consumer comes back once its
// lease runs out, costing no attempt (see runner.CountStarted). gocloud.dev's
// Pub/Sub receiver, though, polls with unary Pull calls, and Google's Pub/Sub
// emulator serves a Pull whose client was killed mid-call: the request it
// answers with comes back one lease later at best, and is at times never
// offered again (the poison scenario of platform/backendtest, about one run
// in three with prefetching on, hung with a request stranded). A worker on
// Pub/Sub therefore receives only when it has a free task slot, as before
// prefetching; --prefetch 1 turns it on there all the same.
func DefaultPrefetch(subURL string) int {
	if u, err := url.Parse(subURL); err == nil && u.Scheme == pubsubScheme {
		return 0
	}
	return 1
}

// SubscriptionFor returns subURL set up for a subscriber that holds up to
// inHand messages at once (the runner's concurrency plus its prefetch). On
// RabbitMQ that is the consumer's prefetch_count: the broker pushes that many
// unacked messages, and a larger count would leave messages waiting in the
// worker's buffer, each counted as delivered if the worker dies. JetStream
// and Pub/Sub fetch only when the runner asks (max_batch=1,
// max_recv_batch_size=1), so their URLs are returned unchanged, as is one
// that does not parse.
func SubscriptionFor(subURL string, inHand int) string {
	u, err := url.Parse(subURL)
	if err != nil || u.Scheme != rabbitScheme || inHand < 1 {
		return subURL
	}
	q := u.Query()
	q.Set("prefetch_count", strconv.Itoa(inHand))
	u.RawQuery = q.Encode()
	return u.String()
}

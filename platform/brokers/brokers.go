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
		return runner.Broker{DeliveryCount: RabbitDeliveryCount, NackWithDelay: delayedNack, RedeliversAtOnce: true}
	default:
		return runner.Broker{}
	}
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

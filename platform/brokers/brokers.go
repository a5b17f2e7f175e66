package brokers

import (
	"net/url"

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

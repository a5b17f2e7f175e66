package httpfunc

import (
	"encoding/json"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"gocloud.dev/pubsub"

	"github.com/pixmill/pixmill/events"
)

// TypePubSubPublished is the CloudEvent type of a Pub/Sub message delivered
// by an Eventarc trigger, or by a push subscription through the Functions
// Framework's conversion.
const TypePubSubPublished = "google.cloud.pubsub.topic.v1.messagePublished"

// pushed is the data of a messagePublished event: the body of a Pub/Sub push
// request.
type pushed struct {
	Message struct {
		Attributes map[string]string `json:"attributes"`
		// Data is base64 in JSON, which encoding/json decodes into []byte.
		Data      []byte `json:"data"`
		MessageID string `json:"messageId"`
	} `json:"message"`
	Subscription string `json:"subscription"`
	// DeliveryAttempt is set on subscriptions with a dead-letter policy.
	DeliveryAttempt int `json:"deliveryAttempt"`
}

// unwrap returns the pixmill event carried by a messagePublished event, and
// the delivery attempt when Pub/Sub sent one (0 otherwise). Errors mean the
// event can never be read.
func unwrap(e cloudevents.Event) (cloudevents.Event, int, error) {
	var p pushed
	if err := json.Unmarshal(e.Data(), &p); err != nil {
		return cloudevents.Event{}, 0, fmt.Errorf("%w: pub/sub message: %v", events.ErrInvalid, err)
	}
	inner, err := events.FromMessage(&pubsub.Message{Body: p.Message.Data, Metadata: p.Message.Attributes})
	if err != nil {
		return cloudevents.Event{}, 0, fmt.Errorf("pub/sub message %s: %w", p.Message.MessageID, err)
	}
	return inner, p.DeliveryAttempt, nil
}

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

// readPushed reads the data of a messagePublished event.
func readPushed(e cloudevents.Event) (pushed, error) {
	var p pushed
	if err := json.Unmarshal(e.Data(), &p); err != nil {
		return pushed{}, fmt.Errorf("%w: pub/sub message: %v", events.ErrInvalid, err)
	}
	return p, nil
}

// unwrap returns the pixmill event carried by a messagePublished event, and
// the delivery attempt when Pub/Sub sent one (0 otherwise). Errors mean the
// event can never be read.
func unwrap(e cloudevents.Event) (cloudevents.Event, int, error) {
	p, err := readPushed(e)
	if err != nil {
		return cloudevents.Event{}, 0, err
	}
	inner, err := events.FromMessage(&pubsub.Message{Body: p.Message.Data, Metadata: p.Message.Attributes})
	if err != nil {
		return cloudevents.Event{}, 0, fmt.Errorf("pub/sub message %s: %w", p.Message.MessageID, err)
	}
	return inner, p.DeliveryAttempt, nil
}

// parked is the message that a dead-lettered event stands for, as
// functions/deadletter reads it. From a messagePublished event it is the
// Pub/Sub message, data and attributes as they are, with those Pub/Sub's
// dead-letter policy added (CloudPubSubDeadLetterSource*); whether they
// hold a pixmill event does not matter. The push's deliveryAttempt is left
// out: it counts deliveries from the dead-letter subscription, not the
// request's. Any other event — one Knative's deadLetterSink delivers, with
// its knativeerror* extensions — is the message in the binary content mode
// that pixmill uses on every broker, extensions as ce- attributes. A
// messagePublished event that carries no Pub/Sub message is kept whole in
// the same way.
func parked(e cloudevents.Event) (*pubsub.Message, error) {
	if e.Type() == TypePubSubPublished {
		if p, err := readPushed(e); err == nil && (len(p.Message.Data) > 0 || len(p.Message.Attributes) > 0) {
			return &pubsub.Message{Body: p.Message.Data, Metadata: p.Message.Attributes}, nil
		}
	}
	return events.ToMessage(e)
}

package deadletter

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

// Attributes that whoever parked a message adds to it, as they appear in a
// pubsub message's metadata. Only the first group is pixmill's; the others
// are the brokers' own dead-letter mechanisms, which park a request when
// pixmill's runner never got to (a push delivery that kept failing, a
// processor that kept dying).
const (
	// pixmill's runner (platform/runner's DeadLetter), as ce- extensions.
	attrReason   = "ce-" + events.ExtDeadLetterReason
	attrKind     = "ce-" + events.ExtDeadLetterKind
	attrAttempts = "ce-" + events.ExtDeadLetterAttempts

	// Knative Eventing's deadLetterSink: CloudEvents extensions with the
	// subscriber's URL, the HTTP status of the last attempt and its
	// response body (base64, at most 1024 bytes).
	attrKnativeDest = "ce-knativeerrordest"
	attrKnativeCode = "ce-knativeerrorcode"
	attrKnativeData = "ce-knativeerrordata"

	// Pub/Sub's dead-letter policy: message attributes.
	attrPubSubCount        = "CloudPubSubDeadLetterSourceDeliveryCount"
	attrPubSubSubscription = "CloudPubSubDeadLetterSourceSubscription"
	attrPubSubProject      = "CloudPubSubDeadLetterSourceSubscriptionProject"
	attrPubSubPublishTime  = "CloudPubSubDeadLetterSourceTopicPublishTime"

	// RabbitMQ's dead-letter exchange: headers (gocloud.dev's rabbitpubsub
	// turns every header into a string).
	attrRabbitReason = "x-first-death-reason"
	attrRabbitQueue  = "x-first-death-queue"
)

// parkingAttributes are taken off a parked message before it is recorded,
// so that a redriven request goes out as it was first sent.
var parkingAttributes = []string{
	attrReason, attrKind, attrAttempts,
	attrKnativeDest, attrKnativeCode, attrKnativeData,
	attrPubSubCount, attrPubSubSubscription, attrPubSubProject, attrPubSubPublishTime,
	attrRabbitReason, attrRabbitQueue, "x-first-death-exchange", "x-last-death-reason", "x-last-death-queue", "x-last-death-exchange", "x-death",
}

// fallbackReason is the reason when nothing says who parked a message or why.
const fallbackReason = "parked by the broker after repeated failures"

// Cause is why a message was parked, as whoever parked it tells.
type Cause struct {
	// Reason is fit to show the request's owner: what happened, without the
	// broker's internal names, addresses or error texts.
	Reason string
	// Detail is Reason with what an operator needs besides (the subscriber
	// or subscription, the response the broker got); it goes into the
	// dead-letter record.
	Detail string
	// Kind is the error kind the request's task fails with.
	Kind fault.Kind
	// Attempts is how many times the request was delivered, or 0 when the
	// broker does not say (Knative does not).
	Attempts int
}

// CauseOf reads the cause from a parked message's metadata: pixmill's own
// dead-letter attributes first (the runner knows the error), then
// Knative's, Pub/Sub's and RabbitMQ's.
func CauseOf(md map[string]string) Cause {
	switch {
	case md[attrReason] != "":
		c := Cause{Reason: md[attrReason], Kind: knownKind(md[attrKind])}
		c.Attempts, _ = strconv.Atoi(md[attrAttempts])
		c.Detail = c.Reason
		return c
	case md[attrKnativeCode] != "" || md[attrKnativeDest] != "" || md[attrKnativeData] != "":
		return knative(md)
	case md[attrPubSubCount] != "" || md[attrPubSubSubscription] != "":
		return pubSub(md)
	case md[attrRabbitReason] != "":
		return rabbit(md)
	}
	return Cause{Reason: fallbackReason, Detail: fallbackReason, Kind: fault.Transient}
}

func knative(md map[string]string) Cause {
	c := Cause{Reason: "Knative gave up delivering the request after repeated failures", Kind: fault.Transient}
	if code, err := strconv.Atoi(md[attrKnativeCode]); err == nil && code > 0 {
		c.Reason = fmt.Sprintf("Knative gave up delivering the request: the last attempt ended with HTTP %d", code)
		if text := http.StatusText(code); text != "" {
			c.Reason += " (" + text + ")"
		}
		c.Kind = kindOfStatus(code)
	}
	c.Detail = c.Reason
	if data := knativeData(md[attrKnativeData]); data != "" {
		c.Detail += ": " + data
	}
	if dest := md[attrKnativeDest]; dest != "" {
		c.Detail += " (subscriber " + dest + ")"
	}
	return c
}

// kindOfStatus reads back the kind that pixmill's functions answer with
// each status (platform/httpfunc); any other status counts as transient,
// since Knative retried it.
func kindOfStatus(code int) fault.Kind {
	switch code {
	case http.StatusBadRequest:
		return fault.InvalidArgument
	case http.StatusRequestEntityTooLarge:
		return fault.LimitExceeded
	case http.StatusUnprocessableEntity:
		return fault.Permanent
	}
	return fault.Transient
}

// knativeData is the response body Knative keeps (base64 in the
// extension), on one line and short enough for a listing.
func knativeData(s string) string {
	const limit = 300
	if s == "" {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b = []byte(s)
	}
	text := strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(b), "?"))
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) > limit {
		text = string([]rune(text)[:limit]) + "…"
	}
	return text
}

func pubSub(md map[string]string) Cause {
	c := Cause{Reason: "Pub/Sub gave up after repeated delivery attempts: the processor failed or stopped each time", Kind: fault.Transient}
	if n, err := strconv.Atoi(md[attrPubSubCount]); err == nil && n > 0 {
		c.Reason = fmt.Sprintf("Pub/Sub gave up after %d delivery attempts: the processor failed or stopped each time", n)
		c.Attempts = n
	}
	c.Detail = c.Reason
	if sub := md[attrPubSubSubscription]; sub != "" {
		c.Detail += " (subscription " + sub + ")"
	}
	return c
}

func rabbit(md map[string]string) Cause {
	c := Cause{Kind: fault.Transient}
	switch r := md[attrRabbitReason]; r {
	case "delivery_limit":
		c.Reason = "RabbitMQ gave up after its delivery limit: the processor failed or stopped each time"
	case "expired":
		c.Reason = "RabbitMQ parked the request: it waited in the queue longer than its time to live"
	case "maxlen":
		c.Reason = "RabbitMQ parked the request: the queue was full"
	case "rejected":
		c.Reason = "RabbitMQ parked the request: a processor rejected it"
	default:
		c.Reason = fmt.Sprintf("RabbitMQ parked the request (%s)", r)
	}
	c.Detail = c.Reason
	if q := md[attrRabbitQueue]; q != "" {
		c.Detail += " (queue " + q + ")"
	}
	return c
}

// knownKind is s as an error kind, or Transient when it is none of them.
func knownKind(s string) fault.Kind {
	switch k := fault.Kind(s); k {
	case fault.Permanent, fault.Transient, fault.LimitExceeded, fault.NotFound, fault.InvalidArgument:
		return k
	}
	return fault.Transient
}

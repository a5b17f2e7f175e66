package brokers

import (
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"gocloud.dev/pubsub"
)

const rabbitScheme = "rabbit"

// RabbitDeliveryCount reads which delivery of m this is (1 for the first)
// from a RabbitMQ quorum queue: the queue counts each time a message came
// back to it — nacked, or held by a consumer whose connection died — in the
// x-delivery-count header. It reports false for a message that is not from
// RabbitMQ, and for a redelivery from a queue that keeps no count (a classic
// queue).
//
// The header is trusted only when the server marks the message redelivered:
// on a first delivery the queue leaves headers as published, and a message
// parked and redriven by pixmill still carries the count of its earlier life
// (as a string, the way gocloud.dev publishes metadata).
func RabbitDeliveryCount(m *pubsub.Message) (int, bool) {
	var d amqp.Delivery
	if !m.As(&d) {
		return 0, false
	}
	if !d.Redelivered {
		return 1, true
	}
	switch n := d.Headers["x-delivery-count"].(type) {
	case int64:
		return int(n) + 1, true
	case int32:
		return int(n) + 1, true
	case int:
		return n + 1, true
	}
	return 0, false
}

// delayedNack hands m back after d. RabbitMQ has no delayed redelivery of its
// own, so the message stays with this consumer, unacked, until the timer
// fires, taking one of the consumer's prefetch_count places meanwhile.
func delayedNack(m *pubsub.Message, d time.Duration) error {
	time.AfterFunc(d, m.Nack)
	return nil
}

// ProvisionRabbit declares pixmill's exchanges and queues on conn, named
// after prefix, and returns their URLs. It is idempotent for the same
// arguments. Each topic is a durable fanout exchange (PREFIX.requests,
// PREFIX.responses, PREFIX.deadletter) bound to one durable quorum queue of
// the same name. Quorum queues count deliveries (see RabbitDeliveryCount);
// the requests queue also dead-letters, to PREFIX.deadletter, a message
// returned more than maxAttempts+1 times — one more than the platform
// allows, so that the platform parks it first, with its reason.
//
// The URLs need RABBIT_SERVER_URL (amqp://user:password@host:port/) in the
// environment of every pixmill process, as gocloud.dev's rabbitpubsub does.
// The requests URL says prefetch_count=1; a worker replaces it with what its
// runner holds, its concurrency plus its prefetch (SubscriptionFor), so that
// no request waits in its buffer beyond those: a request waiting there
// would be counted as delivered each time that worker crashed.
func ProvisionRabbit(conn *amqp.Connection, prefix string, maxAttempts int) (Queues, error) {
	ch, err := conn.Channel()
	if err != nil {
		return Queues{}, fmt.Errorf("brokers: rabbitmq channel: %w", err)
	}
	defer ch.Close()
	requests, responses, deadletter := prefix+".requests", prefix+".responses", prefix+".deadletter"
	queues := []struct {
		name string
		args amqp.Table
	}{
		{requests, RabbitQueueArgs(deadletter, maxAttempts)},
		{responses, RabbitQueueArgs("", 0)},
		{deadletter, RabbitQueueArgs("", 0)},
	}
	for _, q := range queues {
		if err := ch.ExchangeDeclare(q.name, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
			return Queues{}, fmt.Errorf("brokers: declaring exchange %q: %w", q.name, err)
		}
		if _, err := ch.QueueDeclare(q.name, true, false, false, false, q.args); err != nil {
			return Queues{}, fmt.Errorf("brokers: declaring queue %q: %w", q.name, err)
		}
		if err := ch.QueueBind(q.name, "", q.name, false, nil); err != nil {
			return Queues{}, fmt.Errorf("brokers: binding queue %q: %w", q.name, err)
		}
	}
	return Queues{
		RequestsTopic:          rabbitScheme + "://" + requests,
		RequestsSubscription:   rabbitScheme + "://" + requests + "?prefetch_count=1",
		ResponsesTopic:         rabbitScheme + "://" + responses,
		ResponsesSubscription:  rabbitScheme + "://" + responses + "?prefetch_count=32",
		DeadletterTopic:        rabbitScheme + "://" + deadletter,
		DeadletterSubscription: rabbitScheme + "://" + deadletter + "?prefetch_count=8",
	}, nil
}

// RabbitQueueArgs are the arguments of a queue ProvisionRabbit declares:
// a quorum queue, which counts deliveries; for the requests queue, given
// the dead-letter exchange, also the delivery limit one step past the
// platform's maxAttempts and that exchange. RabbitMQ refuses to declare an
// existing queue with other arguments (406 PRECONDITION_FAILED, naming the
// argument), which is how a queue made differently is found.
func RabbitQueueArgs(deadletterExchange string, maxAttempts int) amqp.Table {
	if deadletterExchange == "" {
		return amqp.Table{"x-queue-type": "quorum"}
	}
	return amqp.Table{"x-queue-type": "quorum", "x-delivery-limit": int64(maxAttempts + 1), "x-dead-letter-exchange": deadletterExchange}
}

// DeleteRabbit removes what ProvisionRabbit declared for prefix.
func DeleteRabbit(conn *amqp.Connection, prefix string) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("brokers: rabbitmq channel: %w", err)
	}
	defer ch.Close()
	for _, name := range []string{prefix + ".requests", prefix + ".responses", prefix + ".deadletter"} {
		if _, err := ch.QueueDelete(name, false, false, false); err != nil {
			return fmt.Errorf("brokers: deleting queue %q: %w", name, err)
		}
		if err := ch.ExchangeDelete(name, false, false); err != nil {
			return fmt.Errorf("brokers: deleting exchange %q: %w", name, err)
		}
	}
	return nil
}

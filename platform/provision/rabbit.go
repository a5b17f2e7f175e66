package provision

import (
	"context"
	"errors"
	"net/url"
	"os"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/pixmill/pixmill/events/fault"
	"github.com/pixmill/pixmill/platform/brokers"
)

// planRabbit makes, for each queue, the durable fanout exchange of its
// topic URL (rabbit://EXCHANGE) and the quorum queue of its subscription
// URL (rabbit://QUEUE), bound to the exchange, with the arguments of
// brokers.RabbitQueueArgs: on the requests queue, the delivery limit and
// the dead-letter topic's exchange.
//
// RabbitMQ cannot be asked for a queue's arguments over AMQP; it can only
// refuse to declare a queue with other ones. So an existing object is
// declared again with pixmill's settings: the same ones are a no-op, and
// other ones are refused, naming the argument, and reported as differing.
func planRabbit(ctx context.Context, q brokers.Queues, o Options) ([]Item, error) {
	server := os.Getenv("RABBIT_SERVER_URL")
	if server == "" {
		return nil, fault.New(fault.InvalidArgument, "RABBIT_SERVER_URL: not set; rabbit:// URLs need amqp://USER:PASSWORD@HOST:PORT/ in it, for pixmill provision, up and worker alike")
	}
	conn, err := amqp.Dial(server)
	if err != nil {
		return nil, unreachable(err, "RABBIT_SERVER_URL: cannot reach RabbitMQ at %s", redact(server))
	}
	defer conn.Close()
	name := func(flag, s string) (string, error) {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", fault.New(fault.InvalidArgument, "%s: %q is not rabbit://NAME", flag, redact(s))
		}
		return u.Host, nil
	}
	var deadletterExchange string
	if q.DeadletterTopic != "" {
		if deadletterExchange, err = name("deadletter-topic", q.DeadletterTopic); err != nil {
			return nil, err
		}
	}
	var items []Item
	for _, r := range roles(q) {
		var exchange string
		if r.topic != "" {
			if exchange, err = name(r.topicFlag(), r.topic); err != nil {
				return items, err
			}
			it, err := declare(conn, "exchange", exchange, r.topicFlag(), o.DryRun, func(ch *amqp.Channel, passive bool) error {
				if passive {
					return ch.ExchangeDeclarePassive(exchange, amqp.ExchangeFanout, true, false, false, false, nil)
				}
				return ch.ExchangeDeclare(exchange, amqp.ExchangeFanout, true, false, false, false, nil)
			})
			items = append(items, it)
			if err != nil {
				return items, err
			}
		}
		if r.sub == "" {
			continue
		}
		queue, err := name(r.subFlag(), r.sub)
		if err != nil {
			return items, err
		}
		args := brokers.RabbitQueueArgs("", 0)
		if r.name == "requests" && deadletterExchange != "" {
			args = brokers.RabbitQueueArgs(deadletterExchange, o.MaxAttempts)
		}
		it, err := declare(conn, "queue", queue, r.subFlag(), o.DryRun, func(ch *amqp.Channel, passive bool) error {
			if passive {
				_, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
				return err
			}
			_, err := ch.QueueDeclare(queue, true, false, false, false, args)
			return err
		})
		if it.Outcome == Differs && o.Update {
			it.Details = append(it.Details, "not updated: RabbitMQ cannot change a queue's arguments in place")
		}
		items = append(items, it)
		if err != nil {
			return items, err
		}
		if exchange == "" {
			continue
		}
		it, err = bind(conn, queue, exchange, r.subFlag(), it.Outcome == Created, o.DryRun)
		items = append(items, it)
		if err != nil {
			return items, err
		}
	}
	return items, nil
}

// declare finds out whether an exchange or queue exists (a passive
// declaration) and whether its settings are pixmill's (declaring it again),
// and creates it unless dryRun. Each refusal closes the channel, so each
// step has its own.
func declare(conn *amqp.Connection, kind, name, flag string, dryRun bool, do func(ch *amqp.Channel, passive bool) error) (Item, error) {
	it := Item{Kind: kind, Name: name, For: flag}
	step := func(passive bool) error {
		ch, err := conn.Channel()
		if err != nil {
			return unreachable(err, "%s: opening a RabbitMQ channel", flag)
		}
		defer ch.Close()
		return do(ch, passive)
	}
	err := step(true)
	var ae *amqp.Error
	switch {
	case errors.As(err, &ae) && ae.Code == amqp.NotFound:
		it.Outcome = Created
		if dryRun {
			return it, nil
		}
		if err := step(false); err != nil {
			return it, fault.Wrap(fault.Permanent, err, "%s: declaring %s %s", flag, kind, name)
		}
		return it, nil
	case err != nil:
		return it, unreachable(err, "%s: looking up %s %s", flag, kind, name)
	}
	err = step(false)
	switch {
	case errors.As(err, &ae) && ae.Code == amqp.PreconditionFailed:
		it.Outcome, it.Details = Differs, []string{ae.Reason}
	case err != nil:
		return it, unreachable(err, "%s: checking %s %s", flag, kind, name)
	default:
		it.Outcome = OK
	}
	return it, nil
}

// bind binds queue to exchange. Binding is idempotent, and AMQP cannot say
// whether a binding exists, so on an existing queue it is done again and
// reported OK; a dry run does not bind.
func bind(conn *amqp.Connection, queue, exchange, flag string, queueNew, dryRun bool) (Item, error) {
	it := Item{Kind: "binding", Name: queue + " <- " + exchange, For: flag, Outcome: OK}
	if queueNew {
		it.Outcome = Created
	}
	if dryRun {
		return it, nil
	}
	ch, err := conn.Channel()
	if err != nil {
		return it, unreachable(err, "%s: opening a RabbitMQ channel", flag)
	}
	defer ch.Close()
	if err := ch.QueueBind(queue, "", exchange, false, nil); err != nil {
		return it, fault.Wrap(fault.Permanent, err, "%s: binding queue %s to exchange %s", flag, queue, exchange)
	}
	return it, nil
}

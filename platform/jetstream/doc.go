// Package jetstream is a gocloud.dev/pubsub driver for NATS JetStream, built
// on the github.com/nats-io/nats.go/jetstream API. gocloud's own natspubsub
// speaks core NATS only, which keeps no message for a subscriber that is
// down; pixmill's queues must survive a worker fleet scaled to zero, so they
// are JetStream streams read through durable pull consumers.
//
// Application code opens topics and subscriptions by URL; a blank import of
// this package registers the scheme. Inside the package the nats.go package
// is imported as natsjs, and that is how this documentation names it.
//
// # URLs
//
// A topic publishes to a subject:
//
//	jetstream://127.0.0.1:4333/pixmill.requests
//	jetstream://127.0.0.1:4333/pixmill.requests?msg_id_key=ce-id
//
// A subscription reads a durable consumer:
//
//	jetstream://127.0.0.1:4333/pixmill.requests?consumer=editors
//	jetstream://127.0.0.1:4333/pixmill.requests?consumer=editors&ack_wait=2m&max_deliver=-1&max_batch=1
//
// The host and port are required (there is no default server: the standard
// port 4222 may belong to a system NATS that is not pixmill's); user and
// password, if any, go in the URL's user info. The path is the subject. A
// subscription binds to the stream that holds its subject (looked up by
// subject, so the stream must exist: see EnsureStream) and creates the
// consumer, or updates it to the URL's settings, filtered on the subject. Its
// subject may contain wildcards, a topic's may not.
//
// Topic parameters:
//
//	msg_id_key   metadata key whose value is also sent as Nats-Msg-Id, so
//	             that the stream stores a message sent twice only once
//	             (default: none; see TopicOptions.MsgIDKey)
//
// Subscription parameters:
//
//	consumer     durable consumer name (required); subscriptions with the
//	             same name share its messages
//	ack_wait     lease of a delivered message (default 30s)
//	max_deliver  deliveries before the server gives up on a message
//	             (default -1, unlimited: the platform counts attempts itself
//	             and dead-letters)
//	max_batch    most messages fetched at once (default 1; see Prefetching)
//
// Unknown parameters, repeated parameters and bad values are errors that
// name the parameter and the value. The URLOpener dials each server once
// and shares the connection; it reconnects forever, so a subscriber rides
// out a broker restart. OpenTopic and OpenSubscription open from a
// natsjs.JetStream instead.
//
// # Delivery semantics
//
// Send returns once the stream has stored the message (a JetStream publish
// waits for the server's ack), so a sent message survives the sender.
//
// Delivery is at least once. A received message is leased to the subscriber
// for ack_wait; if it is neither acked nor nacked by then, the server
// delivers it again, to any subscriber of the consumer. ExtendLease restarts
// the lease for a handler that needs longer. Ack waits for the server to
// confirm (a double ack), so an acked message is known to be gone; on a
// work-queue stream it is deleted. Nack makes the server deliver the message
// again at once; NackWithDelay, after a delay.
//
// The server counts deliveries: DeliveryCount is 1 on the first delivery and
// rises by one with each nack or expired lease, across subscriber crashes.
//
// Subscription.Shutdown naks the messages the subscription fetched and did
// not ack or nack, so they are delivered again at once rather than after
// their lease. Let handlers finish before shutting down: their acks cannot
// be sent afterwards.
//
// # Prefetching
//
// gocloud's Subscription fetches ahead: when its local queue runs low, a
// call to Receive starts a ReceiveBatch in the background, and it sizes
// batches to hold about two seconds of messages at the rate they are being
// received. A message fetched ahead is leased from the moment it is fetched,
// sitting in memory while its ack wait runs, and no other worker can have
// it. For image edits that take seconds, that is the wrong trade.
//
// The driver tells gocloud its limits through the receive batcher options:
// at most max_batch messages per ReceiveBatch, one ReceiveBatch at a time.
// With max_batch=1 gocloud stops adapting and always asks for one message,
// and since it only fetches when a Receive finds its queue empty, a
// subscriber holds only the messages its handlers are working on. Measured
// against the embedded server, with each handler holding its message:
//
//	max_batch=1,   1 handler:              1 message in flight
//	max_batch=1,   4 or 8 handlers:        4 or 8 in flight
//	max_batch=4,   after 2 to 200 quick messages:   5 to 7 in flight
//	max_batch=16,  after 2 / 20 / 200 quick messages: 5 / 11 / 23 in flight
//
// So max_batch=1, the default, is the setting for slow work; a larger batch
// is for many short messages, where the round trips matter more. A runner
// that prefetches (platform/runner, Config.Prefetch) calls Receive once more
// while its handlers are busy, so it holds one message more than it
// handles: exactly one, with max_batch=1. One case
// escapes the rule: a Receive whose context ends while its fetch is in
// flight leaves the fetched message in gocloud's queue for the next Receive;
// Shutdown releases it.
//
// ReceiveBatch asks the server for one message and waits up to one second
// for it (SubscriptionOptions.FetchWait), returning it the moment it
// arrives, then takes up to max_batch-1 more that are already waiting. A
// ReceiveBatch cancelled while its pull request is open on the server naks
// whatever the server still sends to that request.
//
// # Metadata and headers
//
// Each metadata entry is a NATS header with the same name and value, so
// CloudEvents attributes (ce-id, ce-type…) are readable by any NATS client.
// What NATS cannot carry unchanged is escaped, reversibly: a name byte NATS
// refuses (space, control, non-ASCII, "()/,:;<=>?@[\]{} and the quote) and
// % itself become %XX; a value NATS would alter (leading or trailing spaces,
// control characters such as CR and LF) is sent %XX-escaped under its name
// prefixed with "%!". Entries named like JetStream's own headers
// (Nats-Msg-Id, Nats-Expected-Stream, Nats-TTL…) have their JetStream
// meaning. Headers from other publishers arrive as metadata too; a header
// with several values gives its first.
//
// # As
//
//   - Topic.As: *natsjs.JetStream.
//   - Subscription.As: *natsjs.Consumer, *natsjs.JetStream.
//   - Message.As: *natsjs.Msg (Metadata().NumDelivered, InProgress,
//     NakWithDelay, Term…). DeliveryCount, ExtendLease and NackWithDelay
//     wrap the common uses.
//   - Message.BeforeSend: **nats.Msg, the message about to be published.
//   - Message.AfterSend: **natsjs.PubAck, the stream's ack.
//   - ErrorAs: the nats.go errors, e.g. natsjs.JetStreamError or
//     *natsjs.APIError.
//
// # Errors
//
// gcerrors codes: a subject no stream holds, a missing stream or consumer is
// NotFound; a timeout is DeadlineExceeded; a full stream (limits with
// discard-new) is ResourceExhausted; an oversized message or bad metadata is
// InvalidArgument; a connection that was closed is FailedPrecondition.
// gcerrors has no code for a broker that is briefly away (a reconnecting
// connection, a server restarting); those are Unknown. gocloud retries
// timeouts and those transient errors, and nothing else.
//
// # Provisioning
//
// EnsureStream creates or updates a file-backed stream, by default a work
// queue (an acked message is deleted, and only one consumer may read a
// subject). StreamConfig and ConsumerConfig are the stream and the durable
// consumer pixmill needs, StreamName the name it gives a subject's stream,
// and StreamDiff and ConsumerDiff name how existing ones differ: package
// provision (`pixmill provision`) plans with them. ConsumerBacklog and
// SubscriptionBacklog read how much work waits on a consumer, for an
// autoscaler.
package jetstream

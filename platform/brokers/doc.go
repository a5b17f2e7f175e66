// Package brokers knows what each message broker offers beyond gocloud.dev's
// portable pubsub API, and provisions pixmill's topics and queues on the
// brokers that gocloud.dev opens but does not create.
//
// # Delivery counts, leases, delayed redelivery
//
// For returns the runner.Broker for a subscription URL. The runner takes a
// request's attempt number from Broker.DeliveryCount, keeps a long edit's
// lease with Broker.ExtendLease and spaces retries with
// Broker.NackWithDelay; a nil field is a capability the broker lacks.
//
//	jetstream://  the server's count (NumDelivered), InProgress, NakWithDelay
//	gcppubsub://  ReceivedMessage.DeliveryAttempt, which Pub/Sub sets only on a
//	              subscription with a dead-letter policy (see ProvisionPubSub);
//	              ModifyAckDeadline to the subscription's own ack deadline;
//	              no delayed nack: the subscription's retry policy spaces
//	              redeliveries on the server
//	rabbit://     the x-delivery-count header of a quorum queue (see
//	              ProvisionRabbit); no lease to extend, since RabbitMQ keeps an
//	              unacked message with its consumer until the consumer's
//	              channel closes, and then redelivers it at once; a
//	              delayed nack held on a timer
//
// SubscriptionFor sizes a worker's subscription URL to what its runner holds
// (running plus prefetched): RabbitMQ's prefetch_count; the pulled brokers
// fetch only when asked and need nothing.
//
// A broker that keeps no count (a classic RabbitMQ queue, mem://) gives every
// delivery attempt 1, so the platform cannot tell a request that keeps
// killing its worker from a new one: use the queue types above.
//
// # Dead-lettering
//
// The platform parks a request after its last attempt itself (it knows the
// reason and tells the owner). Where the broker has its own dead-letter
// mechanism, the provisioning here sets it one step later than the
// platform's, as a backstop that catches a request the platform could not
// park: Pub/Sub's dead-letter policy and RabbitMQ's delivery limit with a
// dead-letter exchange both forward to pixmill's dead-letter topic, where the
// dead-letter function records what arrives.
//
// # Provisioning
//
// ProvisionRabbit and ProvisionPubSub make a named set of queues at once,
// for tests and set-up scripts. What each queue must be is also exported
// (RabbitQueueArgs; PubSubRequestsSubscription, PubSubSubscription and
// PubSubDiff), so that package provision (`pixmill provision`) makes the
// same objects from the queue URLs of a deployment and reports those that
// differ.
package brokers

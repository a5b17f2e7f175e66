// Package httpfunc serves pixmill's functions to HTTP event delivery: the
// Functions Framework for Go (locally with `make run-function`, and on Cloud
// Run functions), Knative Eventing, and Pub/Sub push subscriptions. The
// repository's root package registers Edit, Results and DeadLetter with the
// framework; this package does the work behind them, so that the functions
// in functions/ stay unaware of any transport.
//
// # What arrives
//
// The framework decodes the CloudEvent from the request, in the binary
// content mode (ce-* headers, data as the body) or the structured one
// (Content-Type: application/cloudevents+json), as Knative Eventing sends
// them. A google.cloud.pubsub.topic.v1.messagePublished event — what Cloud
// Run functions deliver for a Pub/Sub trigger, and what the framework makes
// of a plain Pub/Sub push — carries pixmill's event inside the Pub/Sub
// message, as the events package puts it on every broker: ce-* attributes
// and the data, or a structured event with its content-type attribute. That
// inner event is what the function gets, and the push's deliveryAttempt,
// when Pub/Sub sends one (subscriptions with a dead-letter policy), becomes
// the attempt the function reports.
//
// # Dead letters
//
// When a broker's own dead-letter mechanism gives up on a request, pixmill's
// runner never saw it fail, so nobody has told its owner. DeadLetter is the
// function for the places those brokers park it: the subscriber of
// Knative's deadLetterSink (the Broker pixmill-deadletter), or a push
// subscription (or Eventarc trigger) on Pub/Sub's dead-letter topic. It
// takes any CloudEvent and keeps it with functions/deadletter: an event
// from Knative as it came, in pixmill's binary content mode, with the
// knativeerrordest, knativeerrorcode and knativeerrordata extensions that
// say why; a messagePublished event as its Pub/Sub message, data and
// attributes untouched, so that the CloudPubSubDeadLetterSource* attributes
// Pub/Sub adds give the reason and the attempt count (the push's own
// deliveryAttempt counts deliveries from the dead-letter subscription and is
// not used). A parked task request whose task has not ended is recorded as
// failed with that reason. What is not a readable pixmill event is recorded
// all the same and answered 200: a dead letter is never dropped, and a 4xx
// would only make the broker drop it.
//
// # Status codes
//
// The response status follows the Knative data-plane contract, which Pub/Sub
// push and Cloud Run functions' triggers honour too: 2xx when the event is
// done with, 4xx for an event that can never succeed (not retried by Knative;
// Pub/Sub retries every non-2xx until its dead-letter policy takes the
// message), 5xx for a failure worth retrying:
//
//	nil                                  200
//	fault.InvalidArgument, unreadable    400  the event or its data is malformed
//	fault.LimitExceeded                  413
//	fault.Permanent, fault.NotFound      422  never 404, 408 or 409, which
//	                                          Knative retries
//	fault.Transient, context errors      503  storage or broker trouble;
//	                                          configuration that cannot be
//	                                          opened yet
//	a panic                              500
//
// Every unreadable request is a 4xx: no CloudEvent at all (the framework's
// 400), a missing attribute (the SDK's 400 or 415), a structured-mode body
// that is not a JSON CloudEvent (400, see structured.go), data that is not
// a pixmill event (400). DeadLetter reads no data: it answers 200 to every
// CloudEvent once its records are written and 503 when the bucket fails, so
// only a request that is not a CloudEvent gets a 4xx there.
//
// A picture that cannot be edited is not an error here: the edit function
// reports it to its owner with task.failed and returns nil, so the delivery
// is done (200).
//
// The framework's CloudEvent functions can set the status: it hands the
// request to the CloudEvents SDK's HTTP receiver, which writes the status of
// a *cehttp.Result found in the returned error's chain (and 500 for any
// other error). Handler returns such results, so the functions stay
// registered as CloudEvent functions (functions.CloudEvent), which is what
// Cloud Run functions' event triggers require, with no HTTP wrapper of our
// own.
//
// # Configuration
//
// Each function reads its settings from the environment, with the names
// `pixmill up` uses (PIXMILL_BUCKET, PIXMILL_RESPONSES_TOPIC; Results and
// DeadLetter need only the bucket), and opens its bucket and topic on its
// first event, once; a failure to open is a 503, and the next event tries
// again. gocloud.dev drivers are registered by the program (the root
// package blank-imports them).
package httpfunc

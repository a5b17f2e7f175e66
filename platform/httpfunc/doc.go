// Package httpfunc serves pixmill's functions to HTTP event delivery: the
// Functions Framework for Go (locally with `make run-function`, and on Cloud
// Run functions), Knative Eventing, and Pub/Sub push subscriptions. The
// repository's root package registers Edit and Results with the framework;
// this package does the work behind them, so that the functions in
// functions/ stay unaware of any transport.
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
// a pixmill event (400).
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
// `pixmill up` uses (PIXMILL_BUCKET, PIXMILL_RESPONSES_TOPIC), and opens
// its bucket and topic on its first event, once; a failure to open is a 503,
// and the next event tries again. gocloud.dev drivers are registered by the
// program (the root package blank-imports them).
package httpfunc

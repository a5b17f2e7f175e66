// Package cehttptopic is a gocloud.dev/pubsub topic driver that delivers
// each message as a CloudEvent in an HTTP POST: to a Knative Broker's
// ingress, to the K_SINK a SinkBinding injects, or to any CloudEvents
// receiver, a pixmill-function server among them. It is how pixmill
// publishes into Knative Eventing, whose Triggers then push the events to
// the functions: there is no subscription side, since nothing here is
// pulled.
//
// Application code opens a topic by URL; a blank import of this package
// registers the schemes.
//
// # URLs
//
// The topic's URL is the receiver's own address, http or https, exactly as
// Knative reports it:
//
//	http://broker-ingress.knative-eventing.svc.cluster.local/pixmill/pixmill
//	http://127.0.0.1:8081/?timeout=10m
//
// The package registers the "http" and "https" schemes themselves rather
// than a scheme of its own, so that the URL of
// `kubectl get broker pixmill -o jsonpath='{.status.address.url}'`, or of a
// K_SINK, is pasted unchanged: an invented scheme would have to be written
// around it by hand, and would have to say separately whether TLS is used.
// No gocloud.dev pubsub driver claims these schemes, and a pubsub URL that
// is plainly an HTTP address can mean only this. Opening a subscription on
// them is an error that says so.
//
// The query string is the driver's, as with every gocloud.dev driver, and
// is not sent. One parameter:
//
//	timeout  bound on each attempt, from connecting to reading the
//	         response (a Go duration, default 1m). A Broker answers in
//	         milliseconds; a function addressed directly answers when it
//	         has done the work, so give it at least the longest edit.
//
// Unknown, repeated and malformed parameters are errors that name the
// parameter and the value. A receiver whose address needs a query string
// of its own cannot be reached; Knative's addresses (Brokers, Channels,
// Services, K_SINK) carry none. OpenTopic opens a topic from a parsed URL
// and TopicOptions instead.
//
// # Delivery semantics
//
// Every message must hold a CloudEvent as the events package puts it on
// every broker: "ce-" metadata and the data as the body (binary content
// mode), or a structured event with Content-Type
// application/cloudevents+json. The event is validated and sent in the
// binary content mode of the CloudEvents HTTP binding (ce-* headers,
// Content-Type, the data as the body), written by the CloudEvents SDK.
// Metadata that is neither a ce- attribute nor content-type is not sent.
//
// Send returns once the receiver has answered 2xx: a Broker's ingress
// answers 202 when the event is in its channel; a function answers 200
// when it has handled the event. A reply event in a 200 is ignored (the
// request carries no Prefer: reply). Each message is its own request,
// retried on its own, and up to 64 are in flight per topic. Redirects are
// not followed: a POST redirected would be resent as a GET without its
// event, so a 3xx is an error that names where it points.
//
// The status decides what happens, after the Knative data-plane contract,
// which counts 404, 409, 429 and 5xx as worth another try; Knative's own
// dispatcher retries 408 and transport errors too, and so does this
// driver:
//
//	2xx                  sent
//	404                  NotFound            retried (a pod becoming ready)
//	408, 504             DeadlineExceeded    retried
//	409                  Unknown             retried ("processing in progress")
//	429                  ResourceExhausted   retried
//	other 5xx            Unknown             retried
//	no answer, timeout   Unknown, DeadlineExceeded   retried
//	400, 413, 415, 422   InvalidArgument     not retried: the receiver refuses this event
//	401, 403             PermissionDenied    not retried
//	other 1xx, 3xx, 4xx  FailedPrecondition  not retried: fix the URL or the receiver
//	not a CloudEvent     InvalidArgument     not retried, nothing sent
//
// As for every driver, the driver never retries by itself: it reports
// whether an error is retryable, and gocloud.dev's Topic sends again with
// exponential back-off (from 1 s up to 30 s between attempts) until it
// succeeds or the topic is shut down; Send returns when its context ends,
// whichever comes first. Receivers must therefore take duplicates, as the
// Knative contract requires of them anyway (pixmill's functions do:
// outputs and records are keyed by job and task).
//
// # As and errors
//
// Topic.As gives nothing. A message's BeforeSend can have the request as
// **http.Request (to add a header, say) and AfterSend the response as
// **http.Response (its body already read and closed). ErrorAs gives a
// *StatusError for an answer that was not 2xx: the status and the first
// line of the body, which is what Knative's components and pixmill's
// functions put their reason in. Error messages name the URL, with any
// password redacted.
package cehttptopic

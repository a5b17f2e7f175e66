// Package events is pixmill's contract on the wire: the CloudEvents that
// flow between the gateway, the edit function and the results function,
// their data, their validation, and their mapping to and from a portable
// gocloud.dev pubsub message.
//
// # Types
//
// Every type name sits under one reverse-DNS prefix and ends in a version, so
// a consumer can tell an incompatible schema from a new field:
//
//	dev.pixmill.task.requested.v1  gateway → requests topic → edit function
//	dev.pixmill.task.started.v1    edit function → responses topic
//	dev.pixmill.task.completed.v1  edit function → responses topic
//	dev.pixmill.task.failed.v1     edit function or delivery layer → responses topic
//
// A new field that old readers may ignore keeps the version; a field that
// changes meaning or becomes required is a new version (v2), published beside
// the old one until every reader knows it.
//
// # Messages
//
// On every broker an event travels in the CloudEvents binary content mode:
// each context attribute is a message metadata entry named "ce-" plus the
// attribute name (ce-id, ce-type, ce-source, ce-time, …), the data content type
// is the "content-type" entry, and the data is the message body. This is what
// the CloudEvents protocol bindings for NATS, AMQP and Pub/Sub describe, so any
// CloudEvents consumer on the same broker can read pixmill's events.
// FromMessage also accepts the structured content mode
// (content-type application/cloudevents+json), which some producers use.
// Send adds the CloudEvents distributed-tracing extension, ce-traceparent
// and ce-tracestate (W3C Trace Context), from the span in its context, and
// TraceContext reads it back, so a trace follows a task across processes.
//
// # Errors
//
// Decoding and validation errors say which attribute or field is wrong. They
// are permanent: the same bytes will never decode, so callers must not retry
// them.
package events

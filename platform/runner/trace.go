package runner

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/pixmill/pixmill/events"
)

// TracerName is the instrumentation scope of the runner's spans.
const TracerName = "github.com/pixmill/pixmill/platform/runner"

// Trace runs the handler chain in a consumer span that continues the trace
// the event carries (its ce-traceparent, the CloudEvents distributed-tracing
// extension). Events the function sends with the handler's context carry
// the span on (events.Send), so one trace runs from the gateway through the
// queue to the worker and back through the responses. tp nil is the global
// provider, a no-op unless the program set one.
func Trace(tp trace.TracerProvider) Middleware {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	tracer := tp.Tracer(TracerName)
	return func(next Handler) Handler {
		return func(ctx context.Context, d *Delivery) error {
			if d.DecodeErr == nil {
				ctx = events.TraceContext(ctx, d.Event)
			}
			ctx, span := tracer.Start(ctx, "handle "+d.Event.Type(), trace.WithSpanKind(trace.SpanKindConsumer))
			defer span.End()
			if span.IsRecording() {
				span.SetAttributes(
					attribute.String("cloudevents.event_id", d.Event.ID()),
					attribute.String("cloudevents.event_type", d.Event.Type()),
					attribute.String("cloudevents.event_subject", d.Event.Subject()),
					attribute.Int("messaging.delivery_attempt", d.Attempt),
				)
			}
			err := next(ctx, d)
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, Outcome(err))
			}
			return err
		}
	}
}

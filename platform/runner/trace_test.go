package runner

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pixmill/pixmill/events"
	"github.com/pixmill/pixmill/events/fault"
)

func TestTraceContinuesTheEventsTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	responses, rSub := setup(t)

	d := requestDelivery(t, 2)
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	d.Event.SetExtension(events.ExtTraceParent, parent)

	var inHandler trace.SpanContext
	h := Trace(tp)(func(ctx context.Context, d *Delivery) error {
		inHandler = trace.SpanContextFromContext(ctx)
		// What the function sends carries the handler's span on.
		e, err := events.New(events.SourceEdit, time.Now(), events.TaskStarted{Job: "j", Task: "t", Owner: "o", Attempt: 2})
		if err != nil {
			return err
		}
		if err := events.Send(ctx, responses, e); err != nil {
			return err
		}
		return fault.New(fault.Transient, "bucket down")
	})
	if err := h(context.Background(), d); !fault.Retryable(err) {
		t.Fatalf("err %v, want the handler's passed through", err)
	}

	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if got := s.Parent().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("parent %v, want the event's traceparent", s.Parent())
	}
	if s.SpanKind() != trace.SpanKindConsumer || s.Status().Description != OutcomeNacked {
		t.Errorf("span kind %v status %+v", s.SpanKind(), s.Status())
	}
	if inHandler.SpanID() != s.SpanContext().SpanID() {
		t.Errorf("the handler ran in span %v, want %v", inHandler.SpanID(), s.SpanContext().SpanID())
	}
	m := receive(t, rSub)
	if want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + s.SpanContext().SpanID().String() + "-01"; m.Metadata["ce-traceparent"] != want {
		t.Errorf("response ce-traceparent %q, want %q", m.Metadata["ce-traceparent"], want)
	}
}

func TestTraceWithoutATraceStartsOne(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	d := requestDelivery(t, 1)
	if err := Trace(tp)(func(context.Context, *Delivery) error { return nil })(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if spans := rec.Ended(); len(spans) != 1 || spans[0].Parent().IsValid() {
		t.Errorf("spans %v, want one root span", spans)
	}
}

package events

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"gocloud.dev/pubsub/mempubsub"
)

func TestTraceTravelsWithTheEvent(t *testing.T) {
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	tests := []struct {
		name   string
		ctx    context.Context
		header string // ce-traceparent on the wire; "" for none
	}{
		{"a span in the context", trace.ContextWithSpanContext(context.Background(), parent), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		{"no span", context.Background(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := mempubsub.NewTopic()
			sub := mempubsub.NewSubscription(topic, time.Minute)
			defer topic.Shutdown(context.Background())
			defer sub.Shutdown(context.Background())
			e, err := New(SourceGateway, now, request())
			if err != nil {
				t.Fatal(err)
			}
			if err := Send(tt.ctx, topic, e); err != nil {
				t.Fatal(err)
			}
			m, err := sub.Receive(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			m.Ack()
			if got := m.Metadata["ce-traceparent"]; got != tt.header {
				t.Fatalf("ce-traceparent %q, want %q", got, tt.header)
			}
			if _, ok := e.Extensions()[ExtTraceParent]; ok {
				t.Error("Send changed the caller's event")
			}
			got, err := FromMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			sc := trace.SpanContextFromContext(TraceContext(context.Background(), got))
			if tt.header == "" {
				if sc.IsValid() {
					t.Errorf("a trace from nowhere: %v", sc)
				}
				return
			}
			if sc.TraceID() != parent.TraceID() || sc.SpanID() != parent.SpanID() || !sc.IsRemote() {
				t.Errorf("span context %v, want the sender's, remote", sc)
			}
		})
	}
}

func TestMalformedTraceparentIsIgnored(t *testing.T) {
	e, err := New(SourceEdit, now, TaskStarted{Job: "j", Task: "t", Owner: "o", Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	e.SetExtension(ExtTraceParent, "not-a-traceparent")
	if sc := trace.SpanContextFromContext(TraceContext(context.Background(), e)); sc.IsValid() {
		t.Errorf("span context %v from a malformed header", sc)
	}
}

package metrics

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TracerName is the instrumentation scope of the gateway's spans.
const TracerName = "github.com/pixmill/pixmill/platform/metrics"

// StartTracing installs, as the global OpenTelemetry tracer provider, one
// without an exporter, and W3C Trace Context as the global propagator. Spans
// then have ids and parents, and their context travels with every event;
// nothing leaves the process. It returns a function that shuts the provider
// down.
func StartTracing() func(context.Context) error {
	tp := sdktrace.NewTracerProvider()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return tp.Shutdown
}

// TraceHTTP runs each request in a server span that continues the trace of
// the request's traceparent header, if it has one. A job submitted in that
// span sends its requests with it (events.Send), so the trace follows every
// task through the workers and back.
func TraceHTTP(next http.Handler) http.Handler {
	tracer := otel.Tracer(TracerName)
	var prop propagation.TraceContext
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, r.Method+" gateway", trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		if span.IsRecording() {
			span.SetAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

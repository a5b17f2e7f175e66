package events

import (
	"context"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/propagation"
)

// The CloudEvents distributed-tracing extension: W3C Trace Context's
// traceparent and tracestate, carried as the attributes ce-traceparent and
// ce-tracestate. Send writes them from the span in its context, so a trace
// begun at the gateway follows a request through the queue to the worker
// and the worker's responses back.
const (
	ExtTraceParent = "traceparent"
	ExtTraceState  = "tracestate"
)

var traceContext propagation.TraceContext

// injectTrace writes the span context in ctx, if there is one, into md:
// the sender's span becomes the parent of whatever handles the message.
// Without one, md keeps what the event carried.
func injectTrace(ctx context.Context, md map[string]string) {
	traceContext.Inject(ctx, attrCarrier(md))
}

// TraceContext returns ctx carrying, as its remote parent, the span context
// e names in its traceparent attribute; ctx itself if e names none or a
// malformed one.
func TraceContext(ctx context.Context, e cloudevents.Event) context.Context {
	ext := e.Extensions()
	tp, _ := ext[ExtTraceParent].(string)
	if tp == "" {
		return ctx
	}
	ts, _ := ext[ExtTraceState].(string)
	return traceContext.Extract(ctx, attrCarrier{attrPrefix + ExtTraceParent: tp, attrPrefix + ExtTraceState: ts})
}

// attrCarrier reads and writes trace headers as binary-mode attributes.
type attrCarrier map[string]string

func (c attrCarrier) Get(key string) string { return c[attrPrefix+key] }
func (c attrCarrier) Set(key, v string)     { c[attrPrefix+key] = v }
func (c attrCarrier) Keys() []string {
	var keys []string
	for _, k := range []string{ExtTraceParent, ExtTraceState} {
		if c.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

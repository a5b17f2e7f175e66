// Package metrics holds pixmill's Prometheus collectors and sets up its
// OpenTelemetry tracing.
//
// Two processes serve metrics, each at /metrics in the Prometheus text
// format:
//
//   - `pixmill up` (at the gateway's address) sees the whole fleet: the
//     queue's backlog (waiting, in flight), desired and running workers, the
//     autoscaler's panic mode, requests queued, and every task's outcome and
//     attempts as the responses report them (Up).
//   - each `pixmill worker` (at its --metrics-addr) sees its own deliveries:
//     outcomes, attempt numbers, tasks in hand, time per task by op, and
//     the picture bytes it read and wrote (Worker).
//
// Collection goes through runner.Observe on the runners' handler chains,
// not through calls spread in handlers. It costs a few counter updates and
// one small JSON decode per task (BenchmarkDeliveryOverhead).
//
// # Tracing
//
// StartTracing installs an OpenTelemetry tracer provider with no exporter:
// spans get ids, and their context travels with each event as the
// CloudEvents distributed-tracing extension (ce-traceparent), from the
// gateway's request through the queue to the worker and back with the
// responses. A program that wants spans exported installs its own provider
// with an exporter instead.
package metrics

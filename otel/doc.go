// Package otelobjrmi adapts objrmi's observer hook (remote.Observer) to
// OpenTelemetry, in a module of its own so that objrmi's core module
// never depends on OpenTelemetry.
//
// New returns an Observer for Options.Observers. It records the RPC
// semantic conventions' rpc.client.call.duration and
// rpc.server.call.duration histograms (seconds, with buckets from 10 µs,
// attributes rpc.system.name and rpc.system "objrmi", rpc.method
// "Interface/Method", rpc.response.status_code, error.type, and on the
// client server.address and server.port), traces each call with a
// client and a server span, and carries the W3C trace context
// (traceparent, tracestate) in the call's metadata, so that one trace
// follows a call from runtime to runtime. Observer.Instrument adds
// objrmi's own instruments for one runtime: exports, holders, leases
// granted and lapsed, references held, pins in transit, orphans
// cancelled, connections, calls in flight.
//
// Metrics only: WithTracerProvider(noop.NewTracerProvider()) (package
// go.opentelemetry.io/otel/trace/noop) makes the Observer start no spans;
// it still passes on a trace context that a call carries. With metrics
// on and spans off it allocates nothing per call.
//
// It depends on the OpenTelemetry API only; the program chooses the SDK
// and the exporters.
package otelobjrmi

// Package observe shows what an objrmi runtime is doing, with nothing
// but the standard library: Calls, a remote.Observer that counts calls
// and their latency per method and keeps the calls in flight; Handler,
// a debug page (HTML, and JSON with ?format=json) that a program mounts
// at /debug/objrmi; and Metrics, a /metrics handler in the Prometheus
// text format.
//
// Nothing is shown unless the program mounts a handler: the page tells
// who holds what and who is connected, so mount it on an address only
// operators reach. For OpenTelemetry, see the module
// github.com/objrmi/objrmi/otel, which adapts the same hook.
package observe

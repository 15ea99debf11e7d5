package otelobjrmi_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"

	otelobjrmi "github.com/objrmi/objrmi/otel"
	"github.com/objrmi/objrmi/remote"
)

// BenchmarkOTelOverhead is sequential Hop calls (one string argument,
// one string result) over loopback TCP, client and server in this
// process: with no observer, with OpenTelemetry metrics only (the SDK
// with a manual reader, and a no-op tracer provider), with metrics and
// an SDK tracer provider that samples no span, and with metrics and
// traces (every span sampled, batched to an exporter that drops them),
// on both sides.
func BenchmarkOTelOverhead(b *testing.B) {
	for _, bc := range []struct {
		name                      string
		metrics, unsampled, trace bool
	}{{"none", false, false, false}, {"metrics", true, false, false}, {"metrics+unsampled", true, true, false}, {"metrics+traces", true, false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			var obs []remote.Observer
			if bc.metrics {
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
				defer mp.Shutdown(context.Background())
				opts := []otelobjrmi.Option{otelobjrmi.WithMeterProvider(mp)}
				if bc.trace {
					tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
					defer tp.Shutdown(context.Background())
					opts = append(opts, otelobjrmi.WithTracerProvider(tp))
				} else if bc.unsampled {
					opts = append(opts, otelobjrmi.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))))
				} else {
					opts = append(opts, otelobjrmi.WithTracerProvider(noop.NewTracerProvider()))
				}
				o, err := otelobjrmi.New(opts...)
				if err != nil {
					b.Fatal(err)
				}
				obs = []remote.Observer{o}
			}
			srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: obs})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			if _, err := remote.Export[Hop](srv, hop{srv}, remote.WithID(hopID)); err != nil {
				b.Fatal(err)
			}
			cli, err := remote.NewRuntime(remote.Options{Observers: obs})
			if err != nil {
				b.Fatal(err)
			}
			defer cli.Close()
			h := remote.Dynamic(cli, remote.WellKnown(srv.Endpoint(), hopID, "Hop"))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Call(ctx, "Hop", ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discard is a span exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

package observe_test

import (
	"context"
	"testing"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/observe"
	"github.com/objrmi/objrmi/remote"
)

// BenchmarkObserveOverhead is sequential Add calls over loopback TCP,
// client and server in this process, with nothing observing them, with
// one no-op interceptor on each side, and with a Calls observer on each
// side (what objregistry serve --metrics and the debug page use). The
// difference in ns/op is the cost of each hook per call, both sides.
func BenchmarkObserveOverhead(b *testing.B) {
	pass := func(ctx context.Context, _ *remote.CallInfo, next func(context.Context) error) error {
		return next(ctx)
	}
	for _, bc := range []struct {
		name     string
		srv, cli func() remote.Options
	}{
		{"none", func() remote.Options { return remote.Options{} }, func() remote.Options { return remote.Options{} }},
		{"interceptors", func() remote.Options { return remote.Options{ServerInterceptors: []remote.Interceptor{pass}} },
			func() remote.Options { return remote.Options{ClientInterceptors: []remote.Interceptor{pass}} }},
		{"calls", func() remote.Options { return remote.Options{Observers: []remote.Observer{observe.NewCalls()}} },
			func() remote.Options { return remote.Options{Observers: []remote.Observer{observe.NewCalls()}} }},
		{"metadata", func() remote.Options { return remote.Options{} }, func() remote.Options { return remote.Options{} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			so := bc.srv()
			so.Listen = "127.0.0.1:0"
			srv, err := remote.NewRuntime(so)
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			if _, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID)); err != nil {
				b.Fatal(err)
			}
			cli, err := remote.NewRuntime(bc.cli())
			if err != nil {
				b.Fatal(err)
			}
			defer cli.Close()
			ctx := context.Background()
			calc, err := remote.Dial[testsvc.Calculator](ctx, cli, srv.Endpoint(), calcID)
			if err != nil {
				b.Fatal(err)
			}
			if bc.name == "metadata" {
				// A traceparent-sized pair on every call.
				ctx = remote.WithMetadata(ctx, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := calc.Add(ctx, 1, 2); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package otelobjrmi_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/objrmi/objrmi/objerr"
	otelobjrmi "github.com/objrmi/objrmi/otel"
	"github.com/objrmi/objrmi/remote"
)

// With metrics on and traces off, the observer allocates nothing per
// call once a method has been seen, on either side, whatever the call's
// status: its attribute sets and record options are built once.
func TestMetricsCostNoAllocationPerCall(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	o, err := otelobjrmi.New(otelobjrmi.WithMeterProvider(mp), otelobjrmi.WithTracerProvider(noop.NewTracerProvider()))
	require.NoError(t, err)
	ctx := context.Background()
	failed := &objerr.Error{Kind: objerr.KindRemote, Code: objerr.CodeApplication, Reason: "no"}
	calls := []*remote.CallInfo{
		{Side: remote.ClientSide, Interface: "Calc", Method: "Add", Endpoint: "127.0.0.1:1099"},
		{Side: remote.ServerSide, Interface: "Calc", Method: "Add"},
	}
	for _, call := range calls {
		for _, err := range []error{nil, failed} {
			allocs := testing.AllocsPerRun(200, func() {
				c := o.CallStart(ctx, call)
				o.CallEnd(c, call, 50*time.Microsecond, err)
			})
			assert.Zero(t, allocs, "%s side, error %v", call.Side, err)
		}
	}
	// The durations were recorded, with the status of each.
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	counts := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				st, _ := dp.Attributes.Value("rpc.response.status_code")
				counts[m.Name+" "+st.AsString()] += dp.Count
			}
		}
	}
	assert.Equal(t, map[string]uint64{
		"rpc.client.call.duration OK": 201, "rpc.client.call.duration APPLICATION": 201,
		"rpc.server.call.duration OK": 201, "rpc.server.call.duration APPLICATION": 201,
	}, counts)
}

// A runtime whose observer has a no-op tracer provider starts no spans,
// but passes the trace context on, as OpenTelemetry's no-op tracer
// does: the third runtime's span is a child of the first's.
func TestNoopTracerPassesTraceContextOn(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	traced, err := otelobjrmi.New(otelobjrmi.WithTracerProvider(tp))
	require.NoError(t, err)
	untraced, err := otelobjrmi.New(otelobjrmi.WithTracerProvider(noop.NewTracerProvider()))
	require.NoError(t, err)

	serve := func(o *otelobjrmi.Observer) *remote.Runtime {
		rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{o}})
		require.NoError(t, err)
		t.Cleanup(func() { rt.Close() })
		_, err = remote.Export[Hop](rt, hop{rt}, remote.WithID(hopID))
		require.NoError(t, err)
		return rt
	}
	third, second := serve(traced), serve(untraced)
	cli, err := remote.NewRuntime(remote.Options{Observers: []remote.Observer{traced}})
	require.NoError(t, err)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = remote.Dynamic(cli, remote.WellKnown(second.Endpoint(), hopID, "Hop")).Call(ctx, "Hop", third.Endpoint())
	require.NoError(t, err)

	spans := rec.Ended()
	require.Len(t, spans, 2, "a client span in the first runtime, a server span in the third, none in the second")
	var client, server sdktrace.ReadOnlySpan
	for _, s := range spans {
		switch s.SpanKind().String() {
		case "client":
			client = s
		case "server":
			server = s
		}
	}
	require.NotNil(t, client)
	require.NotNil(t, server)
	assert.Equal(t, client.SpanContext().TraceID(), server.SpanContext().TraceID())
	assert.Equal(t, client.SpanContext().SpanID(), server.Parent().SpanID())
	assert.True(t, server.Parent().IsRemote())
}

package main

import (
	"context"
	"errors"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"

	otelobjrmi "github.com/objrmi/objrmi/otel"
	"github.com/objrmi/objrmi/remote"
)

// The cost of observability (issue 17's Measure): objrmi with hooks on
// both sides, interleaved with plain objrmi in the same run, on W1 and
// W2. The report's observability block divides each by plain objrmi.

// obsWorkloads are the workloads the observability variants run.
var obsWorkloads = []string{"W1", "W2"}

var (
	interceptSystem = variant(objrmiWith("objrmi+intercept",
		"objrmi with a no-op client interceptor and a no-op server interceptor",
		func() (hooks, error) { return interceptHooks(), nil }))
	otelMetricsSystem = variant(objrmiWith("objrmi+otel-metrics",
		"objrmi with OpenTelemetry metrics (SDK, periodic reader every second to an exporter that drops them; traces off)",
		func() (hooks, error) { return otelHooks(false) }))
	otelTracesSystem = variant(objrmiWith("objrmi+otel-traces",
		"objrmi with OpenTelemetry metrics and traces (SDK, every span sampled, batched to an exporter that drops them)",
		func() (hooks, error) { return otelHooks(true) }))
)

// obsSystems are the variants, in the order the report lists them.
var obsSystems = []system{interceptSystem, otelMetricsSystem, otelTracesSystem}

func variant(s system) system {
	s.workloads = obsWorkloads
	return s
}

// interceptHooks are a client and a server interceptor that only call
// next.
func interceptHooks() hooks {
	pass := func(ctx context.Context, _ *remote.CallInfo, next func(context.Context) error) error {
		return next(ctx)
	}
	return hooks{client: []remote.Interceptor{pass}, server: []remote.Interceptor{pass}}
}

// metricsInterval is how often the variants' metrics are collected and
// exported: more often than a real deployment (15 s to 60 s), so that a
// cell of a few seconds pays for collections too.
const metricsInterval = time.Second

// otelHooks is an otelobjrmi.Observer on an SDK meter provider and, with
// traces, an SDK tracer provider that samples every span; without, a
// no-op tracer provider.
func otelHooks(traces bool) (hooks, error) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(
		sdkmetric.NewPeriodicReader(discardMetrics{}, sdkmetric.WithInterval(metricsInterval))))
	opts := []otelobjrmi.Option{otelobjrmi.WithMeterProvider(mp), otelobjrmi.WithTracerProvider(noop.NewTracerProvider())}
	var tp *sdktrace.TracerProvider
	if traces {
		tp = sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discardSpans{}))
		opts[1] = otelobjrmi.WithTracerProvider(tp)
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := mp.Shutdown(ctx)
		if tp != nil {
			err = errors.Join(err, tp.Shutdown(ctx))
		}
		_ = err // nothing to report to: the exporters drop everything
	}
	o, err := otelobjrmi.New(opts...)
	if err != nil {
		stop()
		return hooks{}, err
	}
	return hooks{observers: []remote.Observer{o}, stop: stop, attach: o.Instrument}, nil
}

// discardMetrics is a metric exporter that drops what it is given.
type discardMetrics struct{}

func (discardMetrics) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}

func (discardMetrics) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (discardMetrics) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }
func (discardMetrics) ForceFlush(context.Context) error                          { return nil }
func (discardMetrics) Shutdown(context.Context) error                            { return nil }

// discardSpans is a span exporter that drops what it is given.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

package otelobjrmi

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/objrmi/objrmi/observe"
	"github.com/objrmi/objrmi/remote"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/objrmi/objrmi/otel"

// Option configures New.
type Option func(*config)

type config struct {
	mp         metric.MeterProvider
	tp         trace.TracerProvider
	prop       propagation.TextMapPropagator
	untrusted  bool
	noPeerAddr bool
}

// WithMeterProvider sets the meter provider. Default: otel's global one.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithTracerProvider sets the tracer provider. Default: otel's global one.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithPropagator sets how trace context travels in the call metadata.
// Default: W3C trace context (traceparent, tracestate).
func WithPropagator(p propagation.TextMapPropagator) Option { return func(c *config) { c.prop = p } }

// WithUntrustedRemote makes a server span the root of a new trace, linked
// to the caller's span rather than its child: for servers whose callers
// may send any trace context they like.
func WithUntrustedRemote() Option { return func(c *config) { c.untrusted = true } }

// WithoutPeerAttributes leaves server.address and server.port out of
// the client's duration metric, to keep the number of series down when
// a client calls many runtimes.
func WithoutPeerAttributes() Option { return func(c *config) { c.noPeerAddr = true } }

// Observer is a remote.Observer that records OpenTelemetry metrics and
// spans. One Observer can serve several runtimes.
type Observer struct {
	cfg            config
	tracer         trace.Tracer
	meter          metric.Meter
	client, server metric.Float64Histogram
	attrs          sync.Map // attrKey -> metric.MeasurementOption
}

var _ remote.Observer = (*Observer)(nil)

// New creates the Observer and its instruments.
func New(opts ...Option) (*Observer, error) {
	o := &Observer{}
	for _, opt := range opts {
		opt(&o.cfg)
	}
	if o.cfg.mp == nil {
		o.cfg.mp = otel.GetMeterProvider()
	}
	if o.cfg.tp == nil {
		o.cfg.tp = otel.GetTracerProvider()
	}
	if o.cfg.prop == nil {
		o.cfg.prop = propagation.TraceContext{}
	}
	o.tracer = o.cfg.tp.Tracer(ScopeName)
	o.meter = o.cfg.mp.Meter(ScopeName)
	var err error
	if o.client, err = o.meter.Float64Histogram("rpc.client.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Measures the duration of outbound remote procedure calls."),
		metric.WithExplicitBucketBoundaries(observe.Buckets...)); err != nil {
		return nil, err
	}
	if o.server, err = o.meter.Float64Histogram("rpc.server.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Measures the duration of inbound remote procedure calls."),
		metric.WithExplicitBucketBoundaries(observe.Buckets...)); err != nil {
		return nil, err
	}
	return o, nil
}

// spanKey holds, in a call's context, the span CallStart began.
type spanKey struct{}

// CallStart implements remote.Observer: it starts the call's span, and
// on the client puts its trace context in the call's metadata.
func (o *Observer) CallStart(ctx context.Context, call *remote.CallInfo) context.Context {
	name := method(call)
	if call.Side == remote.ClientSide {
		ctx, span := o.tracer.Start(ctx, name, clientKind)
		if span.IsRecording() { // attributes only for spans that are kept
			span.SetAttributes(systemAttr, attribute.String("rpc.method", name))
			if host, port, ok := hostPort(call.Endpoint); ok {
				span.SetAttributes(attribute.String("server.address", host), attribute.Int("server.port", port))
			}
		}
		o.cfg.prop.Inject(ctx, metaCarrier{md: &call.Meta, write: true})
		return ctx
	}
	remoteCtx := o.cfg.prop.Extract(ctx, metaCarrier{md: &call.Meta})
	opts := []trace.SpanStartOption{serverKind}
	if o.cfg.untrusted {
		if sc := trace.SpanContextFromContext(remoteCtx); sc.IsValid() {
			opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.Link{SpanContext: sc}))
		}
		remoteCtx = ctx
	}
	ctx, span := o.tracer.Start(remoteCtx, name, opts...)
	if span.IsRecording() {
		span.SetAttributes(systemAttr, attribute.String("rpc.method", name))
		if call.Principal.Authenticated() {
			span.SetAttributes(attribute.String("objrmi.principal", call.Principal.Name))
		}
	}
	return ctx
}

var (
	clientKind = trace.WithSpanKind(trace.SpanKindClient)
	serverKind = trace.WithSpanKind(trace.SpanKindServer)
	systemAttr = attribute.String("rpc.system.name", "objrmi")
)

// CallEnd implements remote.Observer: it records the call's duration and
// ends its span.
func (o *Observer) CallEnd(ctx context.Context, call *remote.CallInfo, elapsed time.Duration, err error) {
	status := observe.Status(err)
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(attribute.String("rpc.response.status_code", status))
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
			span.SetAttributes(attribute.String("error.type", status))
		}
	}
	span.End()
	h := o.server
	if call.Side == remote.ClientSide {
		h = o.client
	}
	h.Record(ctx, elapsed.Seconds(), o.attributes(call, status))
}

// attrKey names one set of metric attributes; the sets are built once.
type attrKey struct {
	side                   remote.Side
	method, status, server string
}

// maxAttrSets bounds the cached attribute sets: past it they are built
// for each call.
const maxAttrSets = 4096

func (o *Observer) attributes(call *remote.CallInfo, status string) metric.MeasurementOption {
	k := attrKey{side: call.Side, method: method(call), status: status}
	if call.Side == remote.ClientSide && !o.cfg.noPeerAddr {
		k.server = call.Endpoint
	}
	if v, ok := o.attrs.Load(k); ok {
		return v.(metric.MeasurementOption)
	}
	kv := []attribute.KeyValue{
		attribute.String("rpc.system.name", "objrmi"),
		// The attribute's older name, which dashboards built on earlier
		// semantic conventions still query.
		attribute.String("rpc.system", "objrmi"),
		attribute.String("rpc.method", k.method),
		attribute.String("rpc.response.status_code", status),
	}
	if status != "OK" {
		kv = append(kv, attribute.String("error.type", status))
	}
	if host, port, ok := hostPort(k.server); ok {
		kv = append(kv, attribute.String("server.address", host), attribute.Int("server.port", port))
	}
	opt := metric.WithAttributeSet(attribute.NewSet(kv...))
	if n := countOf(&o.attrs); n < maxAttrSets {
		o.attrs.Store(k, opt)
	}
	return opt
}

func countOf(m *sync.Map) int {
	n := 0
	m.Range(func(any, any) bool { n++; return n < maxAttrSets })
	return n
}

// method is the call's rpc.method: "Interface/Method", or "_OTHER" for a
// method the server does not have, as the conventions ask, so that a
// caller cannot make up series.
func method(call *remote.CallInfo) string {
	if call.Interface == "" || call.Method == "" {
		return "_OTHER"
	}
	return call.Interface + "/" + call.Method
}

func hostPort(endpoint string) (string, int, bool) {
	if endpoint == "" {
		return "", 0, false
	}
	host, p, err := net.SplitHostPort(endpoint)
	if err != nil {
		return "", 0, false
	}
	port, err := strconv.Atoi(p)
	return host, port, err == nil
}

// metaCarrier lets a propagator read a call's metadata and, on the
// client, write it.
type metaCarrier struct {
	md    *remote.Metadata
	write bool
}

func (c metaCarrier) Get(key string) string { return c.md.Get(key) }

func (c metaCarrier) Set(key, value string) {
	if c.write {
		c.md.Set(key, value)
	}
}

func (c metaCarrier) Keys() []string {
	var keys []string
	for k := range c.md.All() {
		keys = append(keys, k)
	}
	return keys
}

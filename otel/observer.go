package otelobjrmi

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/objrmi/objrmi/objerr"
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
//
// It does the work that is the same for every call of a method once:
// the span name and attributes, and the metric attribute set of each
// status, are built on a method's first call and reused. With a no-op
// tracer provider (go.opentelemetry.io/otel/trace/noop) it starts no
// spans at all, and only passes on a trace context the call already
// carries.
type Observer struct {
	cfg            config
	tracer         trace.Tracer
	noTraces       bool // cfg.tp is a no-op provider
	meter          metric.Meter
	client, server metric.Float64Histogram
	// clientStart and serverStart are the span start options, built once
	// so that a call does not allocate them.
	clientStart, serverStart []trace.SpanStartOption

	methods sync.Map     // methodKey -> *methodEntry
	cached  atomic.Int64 // entries in methods
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
	_, o.noTraces = o.cfg.tp.(noop.TracerProvider)
	o.tracer = o.cfg.tp.Tracer(ScopeName)
	o.meter = o.cfg.mp.Meter(ScopeName)
	o.clientStart = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
	o.serverStart = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
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

// CallStart implements remote.Observer: it starts the call's span, and
// on the client puts its trace context in the call's metadata.
func (o *Observer) CallStart(ctx context.Context, call *remote.CallInfo) context.Context {
	if o.noTraces {
		return o.passOn(ctx, call)
	}
	m := o.entry(call)
	if call.Side == remote.ClientSide {
		ctx, span := o.tracer.Start(ctx, m.name, o.clientStart...)
		if span.IsRecording() { // attributes only for spans that are kept
			span.SetAttributes(m.spanAttrs...)
		}
		o.cfg.prop.Inject(ctx, (*writeCarrier)(&call.Meta))
		return ctx
	}
	remoteCtx := o.cfg.prop.Extract(ctx, (*readCarrier)(&call.Meta))
	opts := o.serverStart
	if o.cfg.untrusted {
		if sc := trace.SpanContextFromContext(remoteCtx); sc.IsValid() {
			opts = []trace.SpanStartOption{opts[0], trace.WithNewRoot(), trace.WithLinks(trace.Link{SpanContext: sc})}
		}
		remoteCtx = ctx
	}
	ctx, span := o.tracer.Start(remoteCtx, m.name, opts...)
	if span.IsRecording() {
		span.SetAttributes(m.spanAttrs...)
		if call.Principal.Authenticated() {
			span.SetAttributes(attribute.String("objrmi.principal", call.Principal.Name))
		}
	}
	return ctx
}

// passOn is CallStart without spans: a client sends on the trace
// context its caller's context carries, and a server takes in the one
// its call carries (unless it does not trust its callers), so that a
// runtime that does not trace still links the spans of those that do,
// as a no-op tracer would.
func (o *Observer) passOn(ctx context.Context, call *remote.CallInfo) context.Context {
	if call.Side == remote.ClientSide {
		if trace.SpanContextFromContext(ctx).IsValid() {
			o.cfg.prop.Inject(ctx, (*writeCarrier)(&call.Meta))
		}
		return ctx
	}
	if o.cfg.untrusted || call.Meta.Len() == 0 {
		return ctx
	}
	return o.cfg.prop.Extract(ctx, (*readCarrier)(&call.Meta))
}

var systemAttr = attribute.String("rpc.system.name", "objrmi")

// CallEnd implements remote.Observer: it records the call's duration and
// ends its span.
func (o *Observer) CallEnd(ctx context.Context, call *remote.CallInfo, elapsed time.Duration, err error) {
	m := o.entry(call)
	if !o.noTraces {
		span := trace.SpanFromContext(ctx)
		if span.IsRecording() {
			span.SetAttributes(statusAttrs(err)...)
			if err != nil {
				span.SetStatus(codes.Error, err.Error())
			}
		}
		span.End()
	}
	m.hist.Record(ctx, elapsed.Seconds(), m.record(err)...)
}

// methodKey names the calls that share a span name and attributes.
type methodKey struct {
	side                    remote.Side
	iface, method, endpoint string
}

// methodEntry is what the calls of one method, on one side (and, on the
// client, to one endpoint) share.
type methodEntry struct {
	name      string               // rpc.method, and the span's name
	spanAttrs []attribute.KeyValue // set on each recording span
	hist      metric.Float64Histogram
	metric    []attribute.KeyValue // the duration's attributes, but the status
	ok        []metric.RecordOption
	statuses  sync.Map // objerr.Code -> []metric.RecordOption, for errors
}

// maxMethods bounds the cached entries: past it, an entry is built for
// each call.
const maxMethods = 4096

// entry finds or builds the call's methodEntry.
func (o *Observer) entry(call *remote.CallInfo) *methodEntry {
	k := methodKey{side: call.Side, iface: call.Interface, method: call.Method}
	if call.Side == remote.ClientSide {
		k.endpoint = call.Endpoint
	}
	if v, ok := o.methods.Load(k); ok {
		return v.(*methodEntry)
	}
	m := o.newEntry(k)
	if o.cached.Load() < maxMethods {
		if v, loaded := o.methods.LoadOrStore(k, m); loaded {
			return v.(*methodEntry)
		}
		o.cached.Add(1)
	}
	return m
}

func (o *Observer) newEntry(k methodKey) *methodEntry {
	m := &methodEntry{name: methodName(k.iface, k.method), hist: o.server}
	m.spanAttrs = []attribute.KeyValue{systemAttr, attribute.String("rpc.method", m.name)}
	m.metric = []attribute.KeyValue{
		systemAttr,
		// The attribute's older name, which dashboards built on earlier
		// semantic conventions still query.
		attribute.String("rpc.system", "objrmi"),
		attribute.String("rpc.method", m.name),
	}
	if k.side == remote.ClientSide {
		m.hist = o.client
		if host, port, ok := hostPort(k.endpoint); ok {
			peer := []attribute.KeyValue{attribute.String("server.address", host), attribute.Int("server.port", port)}
			m.spanAttrs = append(m.spanAttrs, peer...)
			if !o.cfg.noPeerAddr {
				m.metric = append(m.metric, peer...)
			}
		}
	}
	m.ok = m.build("OK")
	return m
}

// record is the option that gives a duration of this method its
// attributes, for a call that ended with err. The cache is keyed by the
// error's code, a byte, which a sync.Map holds without allocating.
func (m *methodEntry) record(err error) []metric.RecordOption {
	if err == nil {
		return m.ok
	}
	code := codeOf(err)
	if v, ok := m.statuses.Load(code); ok {
		return v.([]metric.RecordOption)
	}
	v, _ := m.statuses.LoadOrStore(code, m.build(observe.StatusOf(code)))
	return v.([]metric.RecordOption)
}

func (m *methodEntry) build(status string) []metric.RecordOption {
	kv := append(slices.Clip(m.metric), attribute.String("rpc.response.status_code", status))
	if status != "OK" {
		kv = append(kv, attribute.String("error.type", status))
	}
	return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
}

// codeOf is objerr.CodeOf without its allocation (errors.As makes its
// target escape).
func codeOf(err error) objerr.Code {
	if e, ok := errors.AsType[*objerr.Error](err); ok {
		return e.Code
	}
	return objerr.CodeUnknown
}

// statusAttrs are a span's attributes for a call that ended with err,
// built once per code.
func statusAttrs(err error) []attribute.KeyValue {
	if err == nil {
		return okAttrs
	}
	code := codeOf(err)
	if v, ok := spanStatuses.Load(code); ok {
		return v.([]attribute.KeyValue)
	}
	status := observe.StatusOf(code)
	v, _ := spanStatuses.LoadOrStore(code, []attribute.KeyValue{
		attribute.String("rpc.response.status_code", status), attribute.String("error.type", status)})
	return v.([]attribute.KeyValue)
}

var (
	okAttrs      = []attribute.KeyValue{attribute.String("rpc.response.status_code", "OK")}
	spanStatuses sync.Map // objerr.Code -> []attribute.KeyValue
)

// methodName is the call's rpc.method: "Interface/Method", or "_OTHER"
// for a method the server does not have, as the conventions ask, so
// that a caller cannot make up series.
func methodName(iface, method string) string {
	if iface == "" || method == "" {
		return "_OTHER"
	}
	return iface + "/" + method
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

// readCarrier lets a propagator read a call's metadata; writeCarrier
// also lets it write, on the client. They are pointers to the metadata,
// so that making one allocates nothing.
type (
	readCarrier  remote.Metadata
	writeCarrier remote.Metadata
)

func (c *readCarrier) Get(key string) string { return (*remote.Metadata)(c).Get(key) }
func (c *readCarrier) Set(string, string)    {}
func (c *readCarrier) Keys() []string        { return keys((*remote.Metadata)(c)) }

func (c *writeCarrier) Get(key string) string { return (*remote.Metadata)(c).Get(key) }
func (c *writeCarrier) Set(key, value string) { (*remote.Metadata)(c).Set(key, value) }
func (c *writeCarrier) Keys() []string        { return keys((*remote.Metadata)(c)) }

func keys(md *remote.Metadata) []string {
	var keys []string
	for k := range md.All() {
		keys = append(keys, k)
	}
	return keys
}

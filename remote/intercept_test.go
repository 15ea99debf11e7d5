package remote_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// MetaEcho is a remote interface that answers with the metadata its
// call carried, and sets some on its reply.
type MetaEcho interface {
	Echo(ctx context.Context, key string) (string, error)
}

type metaEcho struct{}

func (metaEcho) Echo(ctx context.Context, key string) (string, error) {
	if err := remote.SetReplyMetadata(ctx, "echoed", key); err != nil {
		return "", err
	}
	return remote.IncomingMetadata(ctx).Get(key), nil
}

const echoID = 102

// echoPair exports a MetaEcho on a server with opts and returns a client
// runtime with copts and a dynamic handle on it.
func echoPair(t *testing.T, opts, copts remote.Options) (*remote.Runtime, *remote.Runtime, remote.Ref) {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	srv := newRuntime(t, opts)
	ref, err := remote.Export[MetaEcho](srv, metaEcho{}, remote.WithID(echoID))
	require.NoError(t, err)
	return srv, newRuntime(t, copts), ref
}

// Metadata travels with a call, both ways, without any interceptor.
func TestMetadataTravelsBothWays(t *testing.T) {
	_, cli, ref := echoPair(t, remote.Options{}, remote.Options{})
	var reply remote.Metadata
	ctx := remote.WithMetadata(ctxT(t), "tenant", "acme")
	ctx = remote.WithReplyMetadata(ctx, &reply)
	out, err := remote.Dynamic(cli, ref).Call(ctx, "Echo", "tenant")
	require.NoError(t, err)
	assert.Equal(t, []any{"acme"}, out)
	assert.Equal(t, "tenant", reply.Get("echoed"))
	assert.Equal(t, 1, reply.Len())

	// Outside a call there is nothing to read or set.
	assert.Equal(t, 0, remote.IncomingMetadata(context.Background()).Len())
	assert.ErrorIs(t, remote.SetReplyMetadata(context.Background(), "k", "v"), remote.ErrNotInCall)
}

// A call whose metadata passes the limits is not sent; a server refuses
// a call whose metadata passes them with objerr.ErrLimit, and serves the
// connection's next call.
func TestMetadataOverTheLimitsIsRefused(t *testing.T) {
	srv, cli, ref := echoPair(t, remote.Options{}, remote.Options{})
	kv := make([]string, 0, 2*(remote.MaxMetadataPairs+1))
	for i := range remote.MaxMetadataPairs + 1 {
		kv = append(kv, "k", strings.Repeat("v", i%3))
	}
	_, err := remote.Dynamic(cli, ref).Call(remote.WithMetadata(ctxT(t), kv...), "Echo", "k")
	require.ErrorIs(t, err, objerr.ErrLimit)
	require.ErrorIs(t, err, objerr.ErrNotSent)

	big := strings.Repeat("x", remote.MaxMetadataBytes/2)
	_, err = remote.Dynamic(cli, ref).Call(remote.WithMetadata(ctxT(t), "a", big, "b", big), "Echo", "k")
	require.ErrorIs(t, err, objerr.ErrLimit)

	// A hand-made frame with too many bytes of metadata, as a hostile peer
	// would send it.
	nc, br := rawHandshakeAs(t, srv.Endpoint(), uuid.New())
	b := wire.GetBuffer(wire.KindCall)
	e := wire.NewEncoder(b)
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: 1, Object: echoID, Name: "Echo", Meta: []string{"a", big, "b", big}}))
	require.NoError(t, e.EncodeArrayLen(1))
	require.NoError(t, e.EncodeString("a"))
	e.Release()
	_, err = nc.Write(bytes.Clone(b.Bytes()))
	b.Release()
	require.NoError(t, err)
	code, msg := readReply(t, nc, br, 1)
	assert.Equal(t, objerr.CodeLimit, code)
	assert.Contains(t, msg, "metadata")

	// The limits hold on the reply side too.
	_, err = remote.Dynamic(cli, ref).Call(ctxT(t), "Echo", big+big)
	require.ErrorIs(t, err, objerr.ErrApplication, "the method's SetReplyMetadata failed, and the method said so")
	assert.Contains(t, err.Error(), "reply metadata refused")
}

// recorder is an interceptor that keeps what it saw.
type recorder struct {
	mu    sync.Mutex
	calls []remote.CallInfo
}

func (r *recorder) intercept(ctx context.Context, c *remote.CallInfo, next func(context.Context) error) error {
	r.mu.Lock()
	r.calls = append(r.calls, *c)
	r.mu.Unlock()
	return next(ctx)
}

func (r *recorder) seen() []remote.CallInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]remote.CallInfo(nil), r.calls...)
}

// Interceptors on both sides see the interface, the method, the object,
// the peer, the principal and the metadata; a client interceptor adds
// metadata the server sees, and reads the reply's.
func TestInterceptorsSeeTheCallAndItsMetadata(t *testing.T) {
	var srvSaw recorder
	var gotReply remote.Metadata
	clientIC := func(ctx context.Context, c *remote.CallInfo, next func(context.Context) error) error {
		c.Meta.Append("request-id", "r-1")
		err := next(ctx)
		gotReply = c.ReplyMeta
		return err
	}
	serverIC := func(ctx context.Context, c *remote.CallInfo, next func(context.Context) error) error {
		if err := remote.SetReplyMetadata(ctx, "server", "s-1"); err != nil {
			return err
		}
		return next(ctx)
	}
	srv, cli, ref := echoPair(t, remote.Options{ServerInterceptors: []remote.Interceptor{srvSaw.intercept, serverIC}},
		remote.Options{ClientInterceptors: []remote.Interceptor{clientIC}})
	ctx := remote.WithMetadata(ctxT(t), "tenant", "acme")
	out, err := remote.Dynamic(cli, ref).Call(ctx, "Echo", "request-id")
	require.NoError(t, err)
	assert.Equal(t, []any{"r-1"}, out, "the method saw the client interceptor's metadata")
	assert.Equal(t, "s-1", gotReply.Get("server"))
	assert.Equal(t, "request-id", gotReply.Get("echoed"))

	calls := srvSaw.seen()
	require.Len(t, calls, 1, "the probe of the dynamic handle is the runtime's own")
	c := calls[0]
	assert.Equal(t, remote.ServerSide, c.Side)
	assert.Equal(t, "MetaEcho", c.Interface)
	assert.Equal(t, "Echo", c.Method)
	assert.Equal(t, uint64(echoID), c.Object)
	assert.Equal(t, cli.ID(), c.Peer)
	assert.False(t, c.Principal.Authenticated())
	assert.NotNil(t, c.Addr)
	assert.Equal(t, "acme", c.Meta.Get("tenant"))
	assert.Equal(t, "r-1", c.Meta.Get("request-id"))
	_ = srv
}

var errNoTenant = errors.New("no tenant")

// A server interceptor refuses a call: the method does not run, and the
// caller gets "not sent", access denied, or the code of the interceptor's
// *objerr.Error. A client interceptor's refusal reaches its caller as is.
func TestInterceptorsRefuseCalls(t *testing.T) {
	impl := testsvc.NewCalc()
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", ServerInterceptors: []remote.Interceptor{
		func(ctx context.Context, c *remote.CallInfo, next func(context.Context) error) error {
			switch c.Method {
			case "Div":
				return errNoTenant
			case "Echo":
				return &objerr.Error{Code: objerr.CodeOverloaded, Reason: "busy"}
			}
			return next(ctx)
		}}})
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{ClientInterceptors: []remote.Interceptor{
		func(ctx context.Context, c *remote.CallInfo, next func(context.Context) error) error {
			if c.Method == "Panic" {
				return errNoTenant
			}
			return next(ctx)
		}}})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)

	sum, err := calc.Add(ctxT(t), 2, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(5), sum)

	_, err = calc.Div(ctxT(t), 1, 0)
	require.ErrorIs(t, err, objerr.ErrAccessDenied)
	require.ErrorIs(t, err, objerr.ErrNotSent)
	assert.Contains(t, err.Error(), "no tenant")

	_, err = calc.Echo(ctxT(t), []byte("x"))
	require.ErrorIs(t, err, objerr.ErrOverloaded)

	err = calc.Panic(ctxT(t), "never")
	require.ErrorIs(t, err, errNoTenant)
}

// A server interceptor can replace the method's outcome, and one that
// panics fails its call alone.
func TestServerInterceptorReplacesOrPanics(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", ServerInterceptors: []remote.Interceptor{
		func(ctx context.Context, c *remote.CallInfo, next func(context.Context) error) error {
			err := next(ctx)
			switch c.Method {
			case "Add":
				return testsvc.ErrDivByZero // replaces a success
			case "Echo":
				panic("interceptor bug")
			}
			return err
		}}})
	require.NoError(t, srv.RegisterError("testsvc.div0", testsvc.ErrDivByZero))
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	require.NoError(t, cli.RegisterError("testsvc.div0", testsvc.ErrDivByZero))
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)

	_, err = calc.Add(ctxT(t), 1, 2)
	require.ErrorIs(t, err, testsvc.ErrDivByZero)
	_, err = calc.Echo(ctxT(t), []byte("x"))
	require.ErrorIs(t, err, objerr.ErrPanic)
	_, err = calc.Div(ctxT(t), 1, 0)
	require.ErrorIs(t, err, testsvc.ErrDivByZero, "the method's own error passes unchanged")
	q, err := calc.Div(ctxT(t), 6, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(2), q)
}

// obsRecorder is an Observer that keeps what it saw.
type obsRecorder struct {
	mu   sync.Mutex
	ends []obsEnd
}

type obsEnd struct {
	info remote.CallInfo
	err  error
	took time.Duration
}

type obsKey struct{}

func (o *obsRecorder) CallStart(ctx context.Context, c *remote.CallInfo) context.Context {
	if c.Side == remote.ClientSide {
		c.Meta.Set("traceparent", "00-test")
	}
	return context.WithValue(ctx, obsKey{}, c.Method)
}

func (o *obsRecorder) CallEnd(ctx context.Context, c *remote.CallInfo, took time.Duration, err error) {
	if ctx.Value(obsKey{}) != c.Method {
		panic("CallEnd did not get CallStart's context")
	}
	o.mu.Lock()
	o.ends = append(o.ends, obsEnd{*c, err, took})
	o.mu.Unlock()
}

func (o *obsRecorder) seen() []obsEnd {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]obsEnd(nil), o.ends...)
}

// Observers see every method call on both sides with its outcome, refused
// ones included; what a client observer puts in the metadata arrives.
func TestObserversSeeEveryCall(t *testing.T) {
	var so, co obsRecorder
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{&so},
		Authorize: func(ctx context.Context, c remote.Call) error {
			if c.Method == "Echo" {
				return errNoTenant
			}
			return nil
		}})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{Observers: []remote.Observer{&co}})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)
	_, err = calc.Add(ctxT(t), 1, 2)
	require.NoError(t, err)
	_, err = calc.Div(ctxT(t), 1, 0)
	require.Error(t, err)
	_, err = calc.Echo(ctxT(t), nil)
	require.ErrorIs(t, err, objerr.ErrAccessDenied)

	for name, o := range map[string]*obsRecorder{"client": &co, "server": &so} {
		ends := o.seen()
		require.Len(t, ends, 3, name)
		codes := []objerr.Code{objerr.CodeOf(ends[0].err), objerr.CodeOf(ends[1].err), objerr.CodeOf(ends[2].err)}
		assert.Equal(t, []objerr.Code{0, objerr.CodeApplication, objerr.CodeAccessDenied}, codes, name)
		assert.Equal(t, []string{"Add", "Div", "Echo"}, []string{ends[0].info.Method, ends[1].info.Method, ends[2].info.Method}, name)
		for _, e := range ends {
			assert.Positive(t, e.took, name)
			assert.Equal(t, "Calculator", e.info.Interface, name)
		}
	}
	assert.Equal(t, "00-test", so.seen()[0].info.Meta.Get("traceparent"))
	assert.Equal(t, remote.ServerSide, so.seen()[0].info.Side)
	assert.Equal(t, srv.ID(), co.seen()[0].info.Peer)
}

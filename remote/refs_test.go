package remote_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// A method returns a remote object; the client calls it, passes it back,
// and the server recognises its own object, not a stub of it.
func TestByReferenceRoundTrip(t *testing.T) {
	srv, _, _, calc := pair(t)
	ctx := ctxT(t)

	k, err := calc.NewCounter(ctx, 10)
	require.NoError(t, err)
	ref, isStub := remote.RefOf(k)
	require.True(t, isStub, "the client holds a stub")
	assert.Equal(t, srv.ID(), ref.Runtime)
	assert.Equal(t, "Counter", ref.Iface)

	n, err := k.Incr(ctx, 5)
	require.NoError(t, err)
	assert.Equal(t, int64(15), n)

	mine, err := calc.IsMine(ctx, k)
	require.NoError(t, err)
	assert.True(t, mine, "the server gets its own *counter back")

	n, err = k.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(15), n, "state lives on the server")
}

// A reference inside a struct field and a slice travels by reference,
// and a client object that was never exported is exported implicitly.
func TestReferenceInStructField(t *testing.T) {
	_, _, _, calc := pair(t)
	ctx := ctxT(t)
	remoteK, err := calc.NewCounter(ctx, 100)
	require.NoError(t, err)
	local := &localCounter{}

	total, err := calc.Holder(ctx, testsvc.Holder{Name: "h", Counter: local, Extra: []testsvc.Counter{remoteK, local}})
	require.NoError(t, err)
	assert.Equal(t, int64(1+101+2), total)
	assert.Equal(t, int64(2), local.n, "the server called the client's own object twice")
}

type localCounter struct{ n int64 }

func (l *localCounter) Incr(_ context.Context, by int64) (int64, error) { l.n += by; return l.n, nil }
func (l *localCounter) Get(context.Context) (int64, error)              { return l.n, nil }

// The server calls back an object of a client that has no listener at
// all: the callback rides the connection the client opened.
func TestCallbackToListenerlessClient(t *testing.T) {
	_, _, cli, calc := pair(t)
	require.Empty(t, cli.Endpoint(), "the client has no listener")
	events := &testsvc.Events{}
	require.NoError(t, calc.Subscribe(ctxT(t), events, 3))
	assert.Equal(t, []string{"0:event 0", "1:event 1", "2:event 2"}, events.Snapshot())
}

// Third-party handoff: A passes B's object to C, and C calls B directly.
func TestThirdPartyReference(t *testing.T) {
	_, _, a, calcAtB := pair(t)
	ctx := ctxT(t)
	k, err := calcAtB.NewCounter(ctx, 0)
	require.NoError(t, err)

	c := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err = remote.Export[testsvc.Calculator](c, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	calcAtC, err := remote.Dial[testsvc.Calculator](ctx, a, c.Endpoint(), calcID)
	require.NoError(t, err)

	// A hands B's counter to C inside a Holder.
	total, err := calcAtC.Holder(ctx, testsvc.Holder{Counter: k})
	require.NoError(t, err)
	assert.Equal(t, int64(1), total)
	n, err := k.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "C's call reached the counter on B")
}

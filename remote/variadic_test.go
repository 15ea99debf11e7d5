package remote_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

const gatherID = 101

// gatherPair exports a Gather at gatherID on a listening runtime and
// dials it over TCP from a second runtime.
func gatherPair(t *testing.T) (srv, cli *remote.Runtime, g testsvc.Gatherer) {
	t.Helper()
	srv = newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err := remote.Export[testsvc.Gatherer](srv, testsvc.Gather{}, remote.WithID(gatherID))
	require.NoError(t, err)
	cli = newRuntime(t, remote.Options{})
	g, err = remote.Dial[testsvc.Gatherer](ctxT(t), cli, srv.Endpoint(), gatherID)
	require.NoError(t, err)
	return srv, cli, g
}

// Variadic methods run over the wire with zero, one and several
// variadic arguments, as they would locally. They used to fail every
// time with "method panicked", though the method never ran.
func TestVariadicOverTheWire(t *testing.T) {
	_, _, g := gatherPair(t)
	ctx := ctxT(t)

	for _, c := range []struct {
		xs        []int64
		sum       int64
		n         int
		spreadNil bool
	}{
		{nil, 10, 0, true},
		{[]int64{5}, 15, 1, false},
		{[]int64{1, 2, 3, 4}, 20, 4, false},
	} {
		sum, n, err := g.Sum(ctx, 10, c.xs...)
		require.NoError(t, err, "Sum(10, %v...)", c.xs)
		assert.Equal(t, c.sum, sum)
		assert.Equal(t, c.n, n)
	}
	// The literal forms, as users write them.
	sum, n, err := g.Sum(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, []any{int64(1), 0}, []any{sum, n})
	sum, n, err = g.Sum(ctx, 1, 2, 3, 4)
	require.NoError(t, err)
	assert.Equal(t, []any{int64(10), 3}, []any{sum, n})

	s, wasNil, err := g.Join(ctx, ",")
	require.NoError(t, err)
	assert.Equal(t, "", s)
	assert.True(t, wasNil, "no variadic arguments arrive as a nil slice, as in a local call")
	s, wasNil, err = g.Join(ctx, ",", "a")
	require.NoError(t, err)
	assert.Equal(t, "a", s)
	assert.False(t, wasNil)
	s, _, err = g.Join(ctx, "-", "a", "", "c")
	require.NoError(t, err)
	assert.Equal(t, "a--c", s)
}

// A variadic of a remote interface passes each element by reference:
// the server calls back the client's own counters over the client's
// connection, and finds its own counters at home.
func TestVariadicOfRemoteInterfaces(t *testing.T) {
	srv, _, g := gatherPair(t)
	ctx := ctxT(t)

	total, err := g.Total(ctx)
	require.NoError(t, err)
	assert.Zero(t, total)

	local := testsvc.NewCalc() // the client's own objects: callbacks
	a, err := local.NewCounter(ctx, 3)
	require.NoError(t, err)
	b, err := local.NewCounter(ctx, 4)
	require.NoError(t, err)
	total, err = g.Total(ctx, a)
	require.NoError(t, err)
	assert.Equal(t, int64(3), total)

	// A counter of the server's, reached through a stub.
	_, err = remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	cli2 := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctx, cli2, srv.Endpoint(), calcID)
	require.NoError(t, err)
	theirs, err := calc.NewCounter(ctx, 100)
	require.NoError(t, err)
	g2, err := remote.Dial[testsvc.Gatherer](ctx, cli2, srv.Endpoint(), gatherID)
	require.NoError(t, err)
	mine, err := testsvc.NewCalc().NewCounter(ctx, 20)
	require.NoError(t, err)
	total, err = g2.Total(ctx, theirs, mine, theirs)
	require.NoError(t, err)
	assert.Equal(t, int64(220), total)

	total, err = g.Total(ctx, a, b, a)
	require.NoError(t, err)
	assert.Equal(t, int64(10), total)
}

// A dynamic call passes the variadic part as one list, as the wire
// carries it; spreading it is a bad-arguments refusal, never a panic.
func TestVariadicDynamicCall(t *testing.T) {
	srv, cli, _ := gatherPair(t)
	ctx := ctxT(t)
	dyn := remote.Dynamic(cli, remote.Ref{Runtime: srv.ID(), Endpoint: srv.Endpoint(), Object: gatherID, Iface: "Gatherer"})

	out, err := dyn.Call(ctx, "Sum", 10, []int64{1, 2, 3})
	require.NoError(t, err)
	require.Len(t, out, 2)
	assert.EqualValues(t, 16, out[0])
	assert.EqualValues(t, 3, out[1])

	out, err = dyn.Call(ctx, "Sum", 10, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 10, out[0])
	assert.EqualValues(t, 0, out[1])

	out, err = dyn.Call(ctx, "Join", "+", []string{"x", "y"})
	require.NoError(t, err)
	assert.Equal(t, "x+y", out[0])

	_, err = dyn.Call(ctx, "Sum", 10, 1, 2)
	assert.ErrorIs(t, err, objerr.ErrBadArguments)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.Contains(t, err.Error(), "one list")
}

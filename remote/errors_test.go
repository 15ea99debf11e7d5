package remote_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	v2 "github.com/objrmi/objrmi/internal/testsvc/v2"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// A client built against a newer Calculator (Add takes three operands)
// gets a clear mismatch, with both signatures, never a garbled decode.
func TestSignatureMismatch(t *testing.T) {
	srv, _, cli, _ := pair(t)
	newer, err := remote.Dial[v2.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)
	_, err = newer.Add(ctxT(t), 1, 2, 3)
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrNoSuchMethod)
	assert.ErrorIs(t, err, objerr.ErrNotSent, "the method never ran")
	assert.Contains(t, err.Error(), "Add(int64,int64)(int64)", "the server's signature")
	assert.Contains(t, err.Error(), "Add(int64,int64,int64)(int64)", "the client's signature")
}

func TestNoSuchObjectSaysWhy(t *testing.T) {
	srv, _, cli, _ := pair(t)
	ctx := ctxT(t)

	_, err := remote.Dial[testsvc.Calculator](ctx, cli, srv.Endpoint(), 999)
	assert.ErrorIs(t, err, objerr.ErrNoSuchObject)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.Contains(t, err.Error(), "never exported")

	ref, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc())
	require.NoError(t, err)
	gone, err := remote.StubOf[testsvc.Calculator](cli, ref)
	require.NoError(t, err)
	_, err = gone.Add(ctx, 1, 2)
	require.NoError(t, err)
	require.NoError(t, srv.Unexport(ref))
	_, err = gone.Add(ctx, 1, 2)
	assert.ErrorIs(t, err, objerr.ErrNoSuchObject)
	assert.Contains(t, err.Error(), "unexported")
}

// A reference whose owner restarted (same endpoint, new runtime id) fails
// without being sent, and says so.
func TestOwnerRestarted(t *testing.T) {
	srv, _, cli, _ := pair(t)
	ctx := ctxT(t)
	ref, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc())
	require.NoError(t, err)
	endpoint := srv.Endpoint()
	require.NoError(t, srv.Close())

	again := newRuntime(t, remote.Options{Listen: endpoint})
	_, err = remote.Export[testsvc.Calculator](again, testsvc.NewCalc())
	require.NoError(t, err)

	stale, err := remote.StubOf[testsvc.Calculator](cli, ref)
	require.NoError(t, err)
	_, err = stale.Add(ctx, 1, 2)
	if errors.Is(err, objerr.ErrConnection) {
		// The client had not yet seen its old connection close; the call
		// failed on it, and the next one dials the new runtime.
		_, err = stale.Add(ctx, 1, 2)
	}
	assert.ErrorIs(t, err, objerr.ErrNoSuchObject)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.Contains(t, err.Error(), "restarted")
}

type notRemote interface {
	Add(a, b int64) (int64, error)
}

type noError interface {
	Add(ctx context.Context, a, b int64) int64
}

type badParam interface {
	Send(ctx context.Context, ch chan int) error
}

type badAdder struct{}

func (badAdder) Add(a, b int64) (int64, error)        { return a + b, nil }
func (badAdder) Send(context.Context, chan int) error { return nil }

type noErr struct{}

func (noErr) Add(_ context.Context, a, b int64) int64 { return a + b }

func TestExportRefusesBadInterfaces(t *testing.T) {
	rt := newRuntime(t, remote.Options{})
	var ie *objerr.InterfaceError

	_, err := remote.Export[notRemote](rt, badAdder{})
	require.True(t, errors.As(err, &ie), "%v", err)
	assert.Equal(t, "Add", ie.Method)
	assert.Contains(t, err.Error(), "first parameter must be context.Context")
	assert.Contains(t, err.Error(), "hint")

	_, err = remote.Export[noError](rt, noErr{})
	require.True(t, errors.As(err, &ie), "%v", err)
	assert.Contains(t, err.Error(), "last result must be error")

	_, err = remote.Export[badParam](rt, badAdder{})
	require.True(t, errors.As(err, &ie), "%v", err)
	assert.Equal(t, "Send", ie.Method)
	assert.Contains(t, err.Error(), "chan")
}

// A dynamic call needs neither generated code nor the interface type.
func TestDynamicCall(t *testing.T) {
	srv, _, cli, _ := pair(t)
	ctx := ctxT(t)
	dyn := remote.Dynamic(cli, remote.Ref{Runtime: srv.ID(), Endpoint: srv.Endpoint(), Object: calcID, Iface: "Calculator"})
	out, err := dyn.Call(ctx, "Add", 20, 22)
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.EqualValues(t, 42, out[0])

	_, err = dyn.Call(ctx, "Add", "twenty", 22)
	assert.ErrorIs(t, err, objerr.ErrBadArguments)
	_, err = dyn.Call(ctx, "Nope")
	assert.ErrorIs(t, err, objerr.ErrNoSuchMethod)
	_, err = dyn.Call(ctx, "Div", 1, 0)
	assert.ErrorIs(t, err, testsvc.ErrDivByZero)
}

package remote_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

const calcID = 100

// newRuntime starts a runtime closed at the end of the test.
func newRuntime(t *testing.T, opts remote.Options) *remote.Runtime {
	t.Helper()
	rt, err := remote.NewRuntime(opts)
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	return rt
}

// pair starts a listening server exporting a Calc at calcID and a
// client runtime without a listener, and returns the client's stub.
func pair(t *testing.T) (*remote.Runtime, *testsvc.Calc, *remote.Runtime, testsvc.Calculator) {
	t.Helper()
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	require.NoError(t, srv.RegisterError("testsvc.div0", testsvc.ErrDivByZero))
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	require.NoError(t, cli.RegisterError("testsvc.div0", testsvc.ErrDivByZero))
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)
	return srv, impl, cli, calc
}

// ctxT is a context bounded well beyond any test's needs, so a bug shows
// up as a failure rather than a hung test.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

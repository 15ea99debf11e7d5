package registry_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(writerEnv); path != "" {
		writerChild(path) // never returns: killed by its parent
	}
	goleak.VerifyTestMain(m)
}

func newRuntime(t *testing.T, opts remote.Options) *remote.Runtime { return testutil.Runtime(t, opts) }

func ctxT(t *testing.T) context.Context { return testutil.Ctx(t) }

// startRegistry runs a registry in its own listening runtime.
func startRegistry(t *testing.T, opts registry.Options, rtOpts remote.Options) (*registry.Server, *testutil.Buffer) {
	t.Helper()
	rtOpts.Listen = "127.0.0.1:0"
	rt := newRuntime(t, rtOpts)
	logs := &testutil.Buffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	srv, err := registry.Serve(rt, opts)
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return srv, logs
}

// exportCalc starts a runtime that exports a Calc, and returns both.
func exportCalc(t *testing.T, opts remote.Options) (*remote.Runtime, remote.Ref, *testsvc.Calc) {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	rt := newRuntime(t, opts)
	impl := testsvc.NewCalc()
	ref, err := remote.Export[testsvc.Calculator](rt, impl)
	require.NoError(t, err)
	return rt, ref, impl
}

func dial(t *testing.T, rt *remote.Runtime, url string) *registry.Client {
	t.Helper()
	c, err := registry.Dial(ctxT(t), rt, url)
	require.NoError(t, err)
	return c
}

// fromAddr dials from a chosen local address.
func fromAddr(ip string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return d.DialContext
}

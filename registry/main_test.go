package registry_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newRuntime starts a runtime closed at the end of the test.
func newRuntime(t *testing.T, opts remote.Options) *remote.Runtime {
	t.Helper()
	rt, err := remote.NewRuntime(opts)
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	return rt
}

// ctxT bounds a test's calls well beyond its needs, so a bug fails
// rather than hangs.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// logBuffer collects a registry's log lines for a test to read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startRegistry runs a registry in its own listening runtime.
func startRegistry(t *testing.T, opts registry.Options, rtOpts remote.Options) (*registry.Server, *logBuffer) {
	t.Helper()
	rtOpts.Listen = "127.0.0.1:0"
	rt := newRuntime(t, rtOpts)
	logs := &logBuffer{}
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

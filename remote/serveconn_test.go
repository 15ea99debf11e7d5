package remote_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// pipeDial is an Options.Dial that connects to srv over an in-memory
// net.Pipe, whatever the address: srv serves its end with ServeConn, on a
// goroutine of the test's, since a refusal is written before the dialler
// reads and a pipe has no buffer. ServeConn's errors land in errs.
func pipeDial(srv *remote.Runtime, errs chan<- error) func(context.Context, string, string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) {
		a, b := net.Pipe()
		go func() { errs <- srv.ServeConn(a) }()
		return b, nil
	}
}

// A runtime with no listener serves calls over a connection handed to
// ServeConn: calls, a counted reference with its lease, and the
// connection counted in its snapshot.
func TestServeConnOverPipe(t *testing.T) {
	srv := newRuntime(t, remote.Options{})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	errs := make(chan error, 4)
	cli := newRuntime(t, remote.Options{Dial: pipeDial(srv, errs)})

	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, "anywhere:1", calcID)
	require.NoError(t, err)
	require.NoError(t, <-errs)
	sum, err := calc.Add(ctxT(t), 2, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(5), sum)
	p := []byte("over a pipe")
	got, err := calc.Echo(ctxT(t), p)
	require.NoError(t, err)
	assert.Equal(t, p, got)

	k, err := calc.NewCounter(ctxT(t), 41)
	require.NoError(t, err)
	n, err := k.Incr(ctxT(t), 1)
	require.NoError(t, err)
	assert.Equal(t, int64(42), n)
	assert.Equal(t, 1, srv.Inspect().Conns, "one connection, reused for the counter and its lease")
	select {
	case err := <-errs:
		t.Fatalf("a second dial: %v", err)
	default:
	}
}

// After Close, ServeConn refuses: it closes the socket and says the
// runtime is closed.
func TestServeConnAfterClose(t *testing.T) {
	srv, err := remote.NewRuntime(remote.Options{})
	require.NoError(t, err)
	require.NoError(t, srv.Close())
	a, b := net.Pipe()
	defer b.Close()
	err = srv.ServeConn(a)
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	b.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = b.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the socket is closed")
}

// handOver is an Options.Dial that connects over loopback TCP to a
// listener of the test's, which hands each accepted socket to srv's
// ServeConn, as a supervisor would. ServeConn's errors land in errs.
func handOver(t *testing.T, srv *remote.Runtime, errs chan<- error) func(context.Context, string, string) (net.Conn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			errs <- srv.ServeConn(nc)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}
}

// ServeConn counts against MaxConns like an accepted socket: over it,
// the dialler is told ErrOverloaded naming the limit (over a socket with
// a buffer; net.Pipe has none, so there the dialler sees the connection
// closed), and ServeConn returns the same.
func TestServeConnOverMaxConns(t *testing.T) {
	srv := newRuntime(t, remote.Options{MaxConns: 1})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	errs := make(chan error, 4)
	dial := func() error {
		cli := newRuntime(t, remote.Options{Dial: handOver(t, srv, errs)})
		calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, "anywhere:1", calcID)
		if err == nil {
			_, err = calc.Add(ctxT(t), 1, 2)
		}
		return err
	}
	require.NoError(t, dial())
	require.NoError(t, <-errs)

	err = dial()
	require.ErrorIs(t, err, objerr.ErrOverloaded)
	assert.ErrorContains(t, err, "MaxConns")
	err = <-errs
	require.ErrorIs(t, err, objerr.ErrOverloaded)
	assert.ErrorContains(t, err, "MaxConns")
}

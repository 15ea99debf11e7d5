package remote_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// nilCtx is a nil context.Context, as a caller's bug would pass it.
var nilCtx context.Context

// assertNilContext checks err is the typed refusal of a nil context: not
// sent, and matching objerr.ErrNilContext.
func assertNilContext(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrNilContext)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	var e *objerr.Error
	assert.True(t, errors.As(err, &e), "%T: %v", err, err)
}

// A nil context.Context is refused with objerr.ErrNilContext, "not
// sent", by every entry point that takes one; none panics.
func TestNilContextIsRefused(t *testing.T) {
	srv, _, cli, calc := pair(t)

	t.Run("generated stub", func(t *testing.T) {
		_, err := calc.Add(nilCtx, 1, 2)
		assertNilContext(t, err)
		var e *objerr.Error
		require.True(t, errors.As(err, &e))
		assert.Equal(t, "Calculator.Add", e.Op)
		_, err = calc.Add(ctxT(t), 1, 2)
		require.NoError(t, err, "the stub still works")
	})
	t.Run("Dynamic.Call", func(t *testing.T) {
		dyn := remote.Dynamic(cli, remote.Ref{Runtime: srv.ID(), Endpoint: srv.Endpoint(), Object: calcID, Iface: "Calculator"})
		_, err := dyn.Call(nilCtx, "Add", 1, 2)
		assertNilContext(t, err)
	})
	t.Run("Dial", func(t *testing.T) {
		other := newRuntime(t, remote.Options{})
		_, err := remote.Dial[testsvc.Calculator](nilCtx, other, srv.Endpoint(), calcID)
		assertNilContext(t, err)
	})
	t.Run("Holders", func(t *testing.T) {
		k, err := calc.NewCounter(ctxT(t), 1)
		require.NoError(t, err)
		ref, ok := remote.RefOf(k)
		require.True(t, ok)
		_, err = cli.Holders(nilCtx, ref)
		assertNilContext(t, err)
	})
	t.Run("Confirm", func(t *testing.T) {
		// An owner that accepts and never answers keeps the claim
		// pending, so Confirm would wait on the context.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err == nil {
				accepted <- c
			}
			close(accepted)
		}()
		defer func() {
			ln.Close()
			for c := range accepted {
				c.Close()
			}
		}()
		k, err := remote.StubOf[testsvc.Counter](cli, remote.Ref{Runtime: uuid.New(), Endpoint: ln.Addr().String(),
			Object: remote.FirstDynamicID, Iface: "Counter"})
		require.NoError(t, err)
		defer remote.Release(k)
		assertNilContext(t, cli.Confirm(nilCtx, k))
	})
}

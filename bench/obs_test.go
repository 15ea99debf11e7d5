package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/remote"
)

// countingObserver counts the calls it sees on each side.
type countingObserver struct{ client, server atomic.Int64 }

func (c *countingObserver) CallStart(ctx context.Context, call *remote.CallInfo) context.Context {
	if call.Side == remote.ClientSide {
		c.client.Add(1)
	} else {
		c.server.Add(1)
	}
	return ctx
}

func (*countingObserver) CallEnd(context.Context, *remote.CallInfo, time.Duration, error) {}

// An objrmi variant puts its hooks on both runtimes, attaches them once
// each runtime exists, and stops them when it closes; the observability
// variants' hooks are what their names say.
func TestVariantsHookBothRuntimes(t *testing.T) {
	obs := &countingObserver{}
	var intercepted, attached, stopped atomic.Int64
	sys := objrmiWith("objrmi+test", "", func() (hooks, error) {
		ic := func(ctx context.Context, _ *remote.CallInfo, next func(context.Context) error) error {
			intercepted.Add(1)
			return next(ctx)
		}
		return hooks{observers: []remote.Observer{obs}, client: []remote.Interceptor{ic}, server: []remote.Interceptor{ic},
			attach: func(*remote.Runtime) (func() error, error) { attached.Add(1); return func() error { return nil }, nil },
			stop:   func() { stopped.Add(1) }}, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	addr, stop, err := sys.serve()
	require.NoError(t, err)
	cl, err := sys.dial(ctx, addr, 1)
	require.NoError(t, err)
	for i := range int64(10) {
		sum, err := cl.Caller(0).Add(ctx, i, 1)
		require.NoError(t, err)
		require.Equal(t, i+1, sum)
	}
	require.NoError(t, cl.Close())
	stop()
	// The registry lookup is a call too: at least the ten Adds, on each side.
	assert.GreaterOrEqual(t, obs.client.Load(), int64(10))
	assert.GreaterOrEqual(t, obs.server.Load(), int64(10))
	assert.GreaterOrEqual(t, intercepted.Load(), int64(20))
	assert.Equal(t, int64(2), attached.Load(), "server and client runtimes")
	assert.Equal(t, int64(2), stopped.Load())

	for _, tc := range []struct {
		sys                 system
		observers, icClient int
	}{{interceptSystem, 0, 1}, {otelMetricsSystem, 1, 0}, {otelTracesSystem, 1, 0}} {
		var h hooks
		switch tc.sys.name {
		case interceptSystem.name:
			h = interceptHooks()
		case otelMetricsSystem.name:
			h, err = otelHooks(false)
		case otelTracesSystem.name:
			h, err = otelHooks(true)
		}
		require.NoError(t, err)
		assert.Len(t, h.observers, tc.observers, tc.sys.name)
		assert.Len(t, h.client, tc.icClient, tc.sys.name)
		assert.Len(t, h.server, tc.icClient, tc.sys.name)
		if h.stop != nil {
			h.stop()
		}
	}
}

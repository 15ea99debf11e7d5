package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// KeepBound binds, binds again after the binding is lost, leaves a name
// that another object took unless told to take it, and stops with its
// context.
func TestKeepBoundBindsAgainAfterALoss(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	rt, ref, _ := exportCalc(t, remote.Options{})
	c := dial(t, rt, srv.URL())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- registry.KeepBound(ctx, c, "calc", ref, registry.KeepOptions{Interval: 20 * time.Millisecond})
	}()
	bound := func(want remote.Ref) func() bool {
		return func() bool {
			got, err := c.Lookup(ctxT(t), "calc")
			return err == nil && got.Object == want.Object && got.Runtime == want.Runtime
		}
	}
	require.Eventually(t, bound(ref), 5*time.Second, 5*time.Millisecond)
	require.NoError(t, c.Unbind(ctxT(t), "calc"))
	require.Eventually(t, bound(ref), 5*time.Second, 5*time.Millisecond, "not bound again after the loss")

	other, err := remote.Export[testsvc.Calculator](rt, testsvc.NewCalc())
	require.NoError(t, err)
	require.NoError(t, c.Rebind(ctxT(t), "calc", other))
	time.Sleep(100 * time.Millisecond) // five looks
	assert.True(t, bound(other)(), "KeepBound took a name another object holds")

	cancel()
	select {
	case err := <-done:
		assert.True(t, errors.Is(err, context.Canceled))
	case <-time.After(5 * time.Second):
		t.Fatal("KeepBound did not return when its context ended")
	}
}

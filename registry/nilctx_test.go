package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// registry.Dial and registry.Lookup given a nil context refuse it, not
// sent, with objerr.ErrNilContext (remote.Dial does), and a client's
// calls do too (stubs do). They used to panic.
func TestNilContextIsRefusedByTheClient(t *testing.T) {
	regRT, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { regRT.Close() })
	srv, err := registry.Serve(regRT, registry.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	cli, err := remote.NewRuntime(remote.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })

	var nilCtx context.Context
	isNilContext := func(err error) {
		t.Helper()
		assert.ErrorIs(t, err, objerr.ErrNilContext)
		assert.ErrorIs(t, err, objerr.ErrNotSent)
	}
	_, err = registry.Dial(nilCtx, cli, srv.URL())
	isNilContext(err)
	_, err = registry.Lookup[testsvc.Calculator](nilCtx, cli, srv.URL()+"/calc")
	isNilContext(err)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := registry.Dial(ctx, cli, srv.URL())
	require.NoError(t, err)
	_, err = c.List(nilCtx)
	isNilContext(err)
	_, err = registry.LookupIn[testsvc.Calculator](nilCtx, c, "calc")
	isNilContext(err)
}

// The server's own methods, called in-process, refuse a nil context the
// same way, and so does the LocalOnly rule: they used to panic.
func TestNilContextIsRefusedByTheServer(t *testing.T) {
	regRT, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { regRT.Close() })
	srv, err := registry.Serve(regRT, registry.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	ref, err := remote.Export[testsvc.Calculator](regRT, testsvc.NewCalc())
	require.NoError(t, err)

	var nilCtx context.Context
	for name, call := range map[string]func() error{
		"Bind":   func() error { return srv.Bind(nilCtx, "calc", ref) },
		"Rebind": func() error { return srv.Rebind(nilCtx, "calc", ref) },
		"Unbind": func() error { return srv.Unbind(nilCtx, "calc") },
		"Lookup": func() error { _, err := srv.Lookup(nilCtx, "calc"); return err },
		"List":   func() error { _, err := srv.List(nilCtx); return err },
	} {
		err := call()
		assert.ErrorIs(t, err, objerr.ErrNilContext, name)
		assert.ErrorIs(t, err, objerr.ErrNotSent, name)
	}
	assert.NoError(t, registry.LocalOnly(nilCtx, registry.OpBind), "no call: the registry's own host")
}

package remote_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Every runtime describes its exports at IntrospectID, under its
// Authorize like any object; DisableIntrospection leaves it out.
func TestIntrospection(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Stats().Exports, "the runtime's own objects are not counted")
	cli := newRuntime(t, remote.Options{})
	in := remote.Dynamic(cli, remote.WellKnown(srv.Endpoint(), remote.IntrospectID, "Introspector"))
	out, err := in.Call(ctxT(t), "Describe", uint64(calcID))
	require.NoError(t, err)
	d := out[0].(map[string]any)
	assert.EqualValues(t, remote.DescriptionVersion, d["Version"])
	assert.Equal(t, "Calculator", d["Interface"])
	methods := d["Methods"].([]any)
	require.Len(t, methods, 14)
	add := methods[0].(map[string]any)
	assert.Equal(t, "Add", add["Name"])
	assert.Equal(t, "int", add["Params"].([]any)[0].(map[string]any)["Kind"])
	assert.Equal(t, "int64", add["Params"].([]any)[0].(map[string]any)["Go"])

	_, err = in.Call(ctxT(t), "Describe", uint64(5000))
	require.ErrorIs(t, err, objerr.ErrApplication)
	assert.Contains(t, err.Error(), "object 5000 was never exported")

	closed := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Authorize: func(_ context.Context, c remote.Call) error {
		if c.Interface == "Introspector" {
			return errors.New("not for you")
		}
		return nil
	}})
	_, err = remote.Dynamic(cli, remote.WellKnown(closed.Endpoint(), remote.IntrospectID, "Introspector")).Call(ctxT(t), "Describe", uint64(calcID))
	require.ErrorIs(t, err, objerr.ErrAccessDenied)

	off := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", DisableIntrospection: true})
	_, err = remote.Dynamic(cli, remote.WellKnown(off.Endpoint(), remote.IntrospectID, "Introspector")).Call(ctxT(t), "Describe", uint64(calcID))
	require.ErrorIs(t, err, objerr.ErrNoSuchObject)
	_, err = remote.Export[testsvc.Calculator](off, testsvc.NewCalc(), remote.WithID(remote.IntrospectID))
	require.NoError(t, err, "the id is free when introspection is off")
}

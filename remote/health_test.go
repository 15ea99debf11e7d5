package remote_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

func TestHealthObject(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	cli := newRuntime(t, remote.Options{})
	h, err := remote.Dial[remote.Health](ctxT(t), cli, srv.Endpoint(), remote.HealthID)
	require.NoError(t, err)
	s, err := h.Check(ctxT(t), "")
	require.NoError(t, err)
	assert.Equal(t, remote.Serving, s)

	srv.SetHealth("", remote.NotServing) // up, but not ready
	s, err = h.Check(ctxT(t), "")
	require.NoError(t, err)
	assert.Equal(t, remote.NotServing, s)

	_, err = h.Check(ctxT(t), "billing")
	require.ErrorIs(t, err, objerr.ErrApplication)
	assert.Contains(t, err.Error(), `no service "billing" here`)
	assert.Empty(t, srv.Inspect().Exports, "the health object is the runtime's own")
}

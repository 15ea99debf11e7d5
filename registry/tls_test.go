package registry_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Across three runtimes that all speak mutual TLS, the registry's URL
// is objrmis://, the reference it hands out says its owner speaks TLS,
// and a client that never met the owner dials it with TLS from the
// reference alone. A principal with the bind right binds from another
// host; the same Bind without it is refused before it runs.
func TestTLSRegistryHandsOutTLSReferences(t *testing.T) {
	pki := testutil.NewPKI(t)
	srv, _ := startRegistry(t, registry.Options{Access: registry.LocalOr("deployer")},
		remote.Options{TLS: pki.Config("registry", true)})
	require.True(t, strings.HasPrefix(srv.URL(), "objrmis://"), srv.URL())

	owner, ref, _ := exportCalc(t, remote.Options{TLS: pki.Config("deployer", true), Dial: fromAddr("127.0.0.2")})
	assert.True(t, ref.TLS, "a TLS runtime's references say so")
	require.NoError(t, dial(t, owner, srv.URL()).Bind(ctxT(t), "calc", ref), "the principal with the bind right")

	intruder := newRuntime(t, remote.Options{TLS: pki.Config("intruder", false), Dial: fromAddr("127.0.0.2")})
	err := dial(t, intruder, srv.URL()).Unbind(ctxT(t), "calc")
	require.ErrorIs(t, err, registry.ErrAccessDenied)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, "principal intruder has no bind right")

	client := newRuntime(t, remote.Options{TLS: pki.Config("client", false)})
	calc, err := registry.Lookup[testsvc.Calculator](ctxT(t), client, srv.URL()+"/calc")
	require.NoError(t, err)
	got, ok := remote.RefOf(calc)
	require.True(t, ok)
	assert.True(t, got.TLS)
	sum, err := calc.Add(ctxT(t), 20, 22)
	require.NoError(t, err)
	assert.Equal(t, int64(42), sum)

	_, err = registry.Dial(ctxT(t), client, "objrmi://"+strings.TrimPrefix(srv.URL(), "objrmis://"))
	assert.ErrorIs(t, err, objerr.ErrTLSMismatch, "the plaintext scheme for a TLS registry")
}

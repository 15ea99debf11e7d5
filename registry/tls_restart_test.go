package registry_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// A registry on a mutual-TLS runtime, with a file store, restarts: the
// binding of a TLS server comes back as a TLS reference, the restarted
// registry renews its lease on it rather than dropping it, and a TLS
// client's lookup returns a reference that works.
func TestTLSBindingSurvivesARegistryRestart(t *testing.T) {
	pki := testutil.NewPKI(t)
	path := filepath.Join(t.TempDir(), "bindings.json")
	_, ref, _ := exportCalc(t, remote.Options{TLS: pki.Config("server", true), Lease: shortLease})
	require.True(t, ref.TLS)

	store := openStore(t, path)
	regRT := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", TLS: pki.Config("registry", true), Lease: shortLease})
	srv, err := registry.Serve(regRT, registry.Options{Store: store})
	require.NoError(t, err)
	owner := newRuntime(t, remote.Options{TLS: pki.Config("binder", true)})
	require.NoError(t, dial(t, owner, srv.URL()).Bind(ctxT(t), "calc", ref))
	require.NoError(t, srv.Close())
	require.NoError(t, regRT.Close())
	require.NoError(t, store.Close())

	store = openStore(t, path)
	t.Cleanup(func() { store.Close() })
	srv2, logs := startRegistry(t, registry.Options{Store: store},
		remote.Options{TLS: pki.Config("registry", true), Lease: shortLease})
	client := newRuntime(t, remote.Options{TLS: pki.Config("client", true)})
	calc, err := registry.Lookup[testsvc.Calculator](ctxT(t), client, srv2.URL()+"/calc")
	require.NoError(t, err)
	got, _ := remote.RefOf(calc)
	require.True(t, got.TLS, "the restored reference still says TLS")
	sum, err := calc.Add(ctxT(t), 40, 2)
	require.NoError(t, err, "the restored reference works")
	require.Equal(t, int64(42), sum)

	// Several leases on, the registry still holds it: it renewed, over
	// TLS, instead of finding a "TLS mismatch" and dropping the binding.
	time.Sleep(4 * shortLease)
	names, err := dial(t, client, srv2.URL()).List(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, []string{"calc"}, names, "registry log:\n%s", logs)
	require.False(t, strings.Contains(logs.String(), "removed a binding"), "registry log:\n%s", logs)
}

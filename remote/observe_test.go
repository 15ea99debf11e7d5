package remote_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/remote"
)

// Stats, Connections and Events follow what the DGC and the connections
// did: a lease granted on a reference passed to a client, the object
// unreferenced when it lets go, and a lapsed lease when another holder
// crashes.
func TestStatsConnectionsAndEvents(t *testing.T) {
	lease := 400 * time.Millisecond
	srv, impl := dgcServer(t, lease)
	cli := newRuntime(t, remote.Options{})
	calc := dialCalc(t, cli, srv.Endpoint())
	k, err := calc.NewCounter(ctxT(t), 1)
	require.NoError(t, err)
	ref, _ := remote.RefOf(k)
	waitHolders(t, srv, ref, 1)

	st := srv.Stats()
	assert.Equal(t, 2, st.Exports, "the Calculator and the counter")
	assert.Equal(t, 1, st.Holders)
	assert.Equal(t, uint64(1), st.LeasesGranted)
	assert.Equal(t, 1, st.Conns)
	assert.Equal(t, 1, cli.Stats().Held)

	sc, cc := srv.Connections(), cli.Connections()
	require.Len(t, sc, 1)
	require.Len(t, cc, 1)
	assert.Equal(t, cli.ID(), sc[0].Peer)
	assert.False(t, sc[0].Dialled)
	assert.Equal(t, srv.ID(), cc[0].Peer)
	assert.True(t, cc[0].Dialled)
	assert.Equal(t, srv.Endpoint(), cc[0].Endpoint)
	assert.False(t, cc[0].TLS)
	assert.False(t, cc[0].Principal.Authenticated())

	remote.Release(k)
	unreferenced(t, impl, 10*time.Second)
	require.Eventually(t, func() bool { return srv.Stats().Unreferenced == 1 }, 10*time.Second, 5*time.Millisecond)
	ev := srv.Events()
	require.GreaterOrEqual(t, len(ev), 2)
	assert.Equal(t, remote.EventUnreferenced, ev[0].Kind, "newest first")
	assert.Equal(t, ref.Object, ev[0].Object)
	assert.Equal(t, remote.EventLeaseGranted, ev[len(ev)-1].Kind)
	assert.Equal(t, cli.ID(), ev[len(ev)-1].Peer)

	// A holder that crashes: its lease lapses.
	crashed := newRuntime(t, remote.Options{})
	k2, err := dialCalc(t, crashed, srv.Endpoint()).NewCounter(ctxT(t), 2)
	require.NoError(t, err)
	ref2, _ := remote.RefOf(k2)
	waitHolders(t, srv, ref2, 1)
	require.NoError(t, crashed.Crash())
	unreferenced(t, impl, 20*lease)
	require.Eventually(t, func() bool { return srv.Stats().LeasesLapsed == 1 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, uint64(2), srv.Stats().LeasesGranted)
	kinds := map[remote.EventKind]int{}
	for _, e := range srv.Events() {
		kinds[e.Kind]++
	}
	assert.Equal(t, 1, kinds[remote.EventLeaseLapsed])
	assert.Equal(t, 2, kinds[remote.EventUnreferenced])
}

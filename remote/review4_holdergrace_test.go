package remote_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// HolderGrace regression: a listenerless holder closes its own dialled
// connection once it is idle for its IdleTimeout, which it validates only
// against its OWN Lease. The owner's Lease (which sets the renewal
// period) may be much longer, so between two renewals the holder's
// connection is closed by the holder itself, cleanly; the owner counts
// that as "disconnected", and HolderGrace later drops the lease of a
// holder that is alive and renewing on time: the object is collected
// under it. Here: owner Lease 6 s (renewal every 3 s), holder IdleTimeout
// 600 ms (valid: > its own Lease/2), owner HolderGrace 300 ms. Fixed: a
// holder renews at least every IdleTimeout/2, which keeps the connection
// in use.
func TestReviewIdleCloseIsNotADisconnectedHolder(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Lease: 6 * time.Second,
		HolderGrace: 300 * time.Millisecond, LeaseCheckInterval: 20 * time.Millisecond})
	cli := newRuntime(t, remote.Options{Lease: time.Second, IdleTimeout: 600 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond})
	ctx := ctxT(t)
	obj := newReasons()
	ref, err := remote.Export[testsvc.Counter](srv, obj, remote.Collectable())
	require.NoError(t, err)
	d := remote.Dynamic(cli, ref)
	require.NoError(t, cli.Confirm(ctx, d))
	t.Cleanup(d.Release)
	select {
	case why := <-obj.why:
		t.Fatalf("the object was unreferenced (%v) while its holder is alive and its lease current", why)
	case <-time.After(2500 * time.Millisecond): // before the first renewal, at 3 s
	}
	require.NoError(t, cli.Confirm(ctx, d))
}

// HolderGrace regression: a listenerless holder whose connection is reset
// once (a NAT or a proxy dropping it; the network works again at once)
// does not dial again before its next renewal, at the owner's Lease/2,
// and the default HolderGrace (10 s) is shorter than the default Lease/2
// (15 s). The owner drops the lease of a live holder and collects the
// object under it. Scaled down here: owner Lease 6 s, HolderGrace 300 ms.
// Fixed: a holder renews at once when its connection to an owner it holds
// from is lost, dialling again.
func TestReviewOneResetDoesNotCostALiveHolderItsObjects(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Lease: 6 * time.Second,
		HolderGrace: 300 * time.Millisecond, LeaseCheckInterval: 20 * time.Millisecond})
	p := newProxy(t, srv.Endpoint())
	cli := newRuntime(t, remote.Options{})
	ctx := ctxT(t)
	obj := newReasons()
	ref, err := remote.Export[testsvc.Counter](srv, obj, remote.Collectable())
	require.NoError(t, err)
	ref.Endpoint = p.addr()
	d := remote.Dynamic(cli, ref)
	require.NoError(t, cli.Confirm(ctx, d))
	t.Cleanup(d.Release)
	p.cut() // one reset; the proxy relays new connections at once
	select {
	case why := <-obj.why:
		t.Fatalf("the object was unreferenced (%v) while its holder is alive and its lease current", why)
	case <-time.After(2500 * time.Millisecond): // before the first renewal, at 3 s
	}
	require.NoError(t, cli.Confirm(ctx, d))
}

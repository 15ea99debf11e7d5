package remote_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// A holder that listens on no port is killed with SIGKILL: its
// connection drops at once, it can be neither called back nor dialled,
// and its leases end after HolderGrace, not after the whole Lease. Before,
// the object waited for the 30 s lease (28.6 s in a chat room).
func TestKilledListenerlessHolderIsDroppedAfterItsGrace(t *testing.T) {
	const grace = time.Second
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Lease: 30 * time.Second,
		HolderGrace: grace, LeaseCheckInterval: 20 * time.Millisecond})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cmd := startClient(t, "hold", srv.Endpoint(), "")
	require.Eventually(t, func() bool {
		for _, e := range srv.Inspect().Exports {
			if len(e.Holders) == 1 {
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond)

	killed := kill(t, cmd)
	assert.Equal(t, int64(42), unreferenced(t, impl, 10*grace))
	took := time.Since(killed)
	t.Logf("Unreferenced %v after kill -9 of a holder with no listener (HolderGrace %v, Lease 30 s)", took.Round(time.Millisecond), grace)
	assert.Less(t, took, 5*grace)
}

// reasons is a Counter that records why it was unreferenced, each time.
type reasons struct{ why chan gc.Reason }

func (r *reasons) UnreferencedBecause(why gc.Reason)          { r.why <- why }
func (r *reasons) Incr(context.Context, int64) (int64, error) { return 0, nil }
func (r *reasons) Get(context.Context) (int64, error)         { return 0, nil }

func newReasons() *reasons { return &reasons{why: make(chan gc.Reason, 4)} }

func reasonWithin(t *testing.T, r *reasons, within time.Duration) gc.Reason {
	t.Helper()
	select {
	case why := <-r.why:
		return why
	case <-time.After(within):
		t.Fatalf("no UnreferencedBecause within %s", within)
		return 0
	}
}

// An object that implements UnreferencedBecause learns why: released,
// its holder disconnected (no listener, past HolderGrace), or its own
// runtime closing while it is held.
func TestUnreferencedBecauseSaysWhy(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Lease: 30 * time.Second,
		HolderGrace: 200 * time.Millisecond, LeaseCheckInterval: 20 * time.Millisecond})
	ctx := ctxT(t)
	hold := func(cli *remote.Runtime, obj *reasons) remote.Ref {
		ref, err := remote.Export[testsvc.Counter](srv, obj, remote.Collectable())
		require.NoError(t, err)
		d := remote.Dynamic(cli, ref)
		require.NoError(t, cli.Confirm(ctx, d))
		t.Cleanup(d.Release)
		return ref
	}

	released := newReasons()
	cli := newRuntime(t, remote.Options{})
	ref, err := remote.Export[testsvc.Counter](srv, released, remote.Collectable())
	require.NoError(t, err)
	d := remote.Dynamic(cli, ref)
	require.NoError(t, cli.Confirm(ctx, d))
	d.Release()
	assert.Equal(t, gc.Released, reasonWithin(t, released, 10*time.Second))

	gone := newReasons()
	leaving, err := remote.NewRuntime(remote.Options{})
	require.NoError(t, err)
	hold(leaving, gone)
	leaving.Crash() // its connection drops, no clean, and it has no listener
	assert.Equal(t, gc.Disconnected, reasonWithin(t, gone, 10*time.Second))

	held := newReasons()
	hold(cli, held)
	shut, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(shut))
	assert.Equal(t, gc.Closing, reasonWithin(t, held, time.Second))
}

// A stub from Dial names a well-known id at an endpoint: after the
// server restarts at the same address, the same stub reaches the new
// runtime. Before, it failed forever with "owner runtime restarted".
func TestDialledStubFollowsARestart(t *testing.T) {
	first := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err := remote.Export[testsvc.Calculator](first, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	endpoint := first.Endpoint()
	cli := newRuntime(t, remote.Options{})
	calc := dialCalc(t, cli, endpoint)
	ctx := ctxT(t)
	_, err = calc.Add(ctx, 1, 2)
	require.NoError(t, err)

	first.Close()
	second := newRuntime(t, remote.Options{Listen: endpoint})
	_, err = remote.Export[testsvc.Calculator](second, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	require.NotEqual(t, first.ID(), second.ID())

	var sum int64
	require.Eventually(t, func() bool {
		sum, err = calc.Add(ctx, 2, 3) // the first may see the old connection's loss
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "the stub never reached the restarted server: %v", err)
	assert.Equal(t, int64(5), sum)
}

// Dial checks that the object exists and is exported as the interface
// asked for, and fails at once with the precise error, not at the first
// call: before, it returned a stub whose every call failed.
func TestDialChecksTheObject(t *testing.T) {
	srv, _, cli, _ := pair(t)
	ctx := ctxT(t)
	_, err := remote.Dial[testsvc.Calculator](ctx, cli, srv.Endpoint(), calcID+1)
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrNoSuchObject)
	assert.ErrorIs(t, err, objerr.ErrNotSent)

	_, err = remote.Dial[testsvc.Counter](ctx, cli, srv.Endpoint(), calcID)
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrNoSuchMethod)
	assert.Contains(t, err.Error(), "exported as Calculator, not Counter")

	calc, err := remote.Dial[testsvc.Calculator](ctx, cli, srv.Endpoint(), calcID)
	require.NoError(t, err)
	_, err = calc.Add(ctx, 1, 2)
	assert.NoError(t, err)
}

// A runtime that closes cleanly tells the owners of what it holds: their
// objects are unreferenced at once, not a lease later. Before, a cleanly
// closed client lingered for its whole lease.
func TestCloseSendsCleans(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Lease: 30 * time.Second})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"}) // a listener: HolderGrace does not apply
	require.NoError(t, err)
	calc := dialCalc(t, cli, srv.Endpoint())
	k, err := calc.NewCounter(ctxT(t), 7)
	require.NoError(t, err)
	require.NoError(t, cli.Confirm(ctxT(t), k))

	closed := time.Now()
	require.NoError(t, cli.Close())
	assert.Equal(t, int64(7), unreferenced(t, impl, 10*time.Second))
	t.Logf("Unreferenced %v after the holder's Close (lease 30 s)", time.Since(closed).Round(time.Millisecond))
	assert.Less(t, time.Since(closed), 5*time.Second)
}

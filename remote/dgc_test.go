package remote_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// dgcServer starts a server with the given lease (and a check interval
// a twentieth of it) exporting a Calc at calcID.
func dgcServer(t *testing.T, lease time.Duration) (*remote.Runtime, *testsvc.Calc) {
	t.Helper()
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Lease: lease, TransitTimeout: 10 * time.Second})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	return srv, impl
}

func dialCalc(t *testing.T, rt *remote.Runtime, endpoint string) testsvc.Calculator {
	t.Helper()
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), rt, endpoint, calcID)
	require.NoError(t, err)
	return calc
}

// exportOf finds ref among rt's exports.
func exportOf(rt *remote.Runtime, ref remote.Ref) (remote.ExportInfo, bool) {
	for _, e := range rt.Inspect().Exports {
		if e.Ref.Object == ref.Object {
			return e, true
		}
	}
	return remote.ExportInfo{}, false
}

// waitHolders waits until the owner lists n holders for ref.
func waitHolders(t *testing.T, owner *remote.Runtime, ref remote.Ref, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		e, ok := exportOf(owner, ref)
		return ok && len(e.Holders) == n
	}, 10*time.Second, 5*time.Millisecond, "waiting for %d holders of %s", n, ref)
}

func unreferenced(t *testing.T, impl *testsvc.Calc, within time.Duration) int64 {
	t.Helper()
	select {
	case start := <-impl.Unreferenced:
		return start
	case <-time.After(within):
		t.Fatalf("no Unreferenced within %s", within)
		return 0
	}
}

// An explicit release reaches the owner at once: Unreferenced does not
// wait for the lease, and the implicit export is gone, saying why.
func TestExplicitReleaseIsPrompt(t *testing.T) {
	srv, impl := dgcServer(t, time.Minute)
	cli := newRuntime(t, remote.Options{})
	calc := dialCalc(t, cli, srv.Endpoint())
	k, err := calc.NewCounter(ctxT(t), 5)
	require.NoError(t, err)
	ref, _ := remote.RefOf(k)
	waitHolders(t, srv, ref, 1)
	assert.Equal(t, cli.ID(), mustExport(t, srv, ref).Holders[0].Runtime)

	released := time.Now()
	remote.Release(k)
	assert.Equal(t, int64(5), unreferenced(t, impl, 10*time.Second))
	t.Logf("Unreferenced %v after an explicit release (lease 1m)", time.Since(released))

	_, err = k.Incr(ctxT(t), 1)
	require.ErrorIs(t, err, objerr.ErrNoSuchObject)
	assert.Contains(t, err.Error(), "released")
	_, err = remote.Dynamic(cli, ref).Call(ctxT(t), "Get")
	require.ErrorIs(t, err, objerr.ErrNoSuchObject)
	assert.Contains(t, err.Error(), "its last holder released it")
}

func mustExport(t *testing.T, rt *remote.Runtime, ref remote.Ref) remote.ExportInfo {
	t.Helper()
	e, ok := exportOf(rt, ref)
	require.True(t, ok, "%s is not exported", ref)
	return e
}

// A stub that the program drops is released when Go collects it.
func TestCollectedStubIsCleaned(t *testing.T) {
	srv, impl := dgcServer(t, time.Minute)
	cli := newRuntime(t, remote.Options{})
	calc := dialCalc(t, cli, srv.Endpoint())
	ref := func() remote.Ref {
		k, err := calc.NewCounter(ctxT(t), 9)
		require.NoError(t, err)
		ref, _ := remote.RefOf(k)
		return ref
	}()
	waitHolders(t, srv, ref, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		select {
		case start := <-impl.Unreferenced:
			assert.Equal(t, int64(9), start)
			_, ok := exportOf(srv, ref)
			assert.False(t, ok, "the implicit export was collected")
			return
		case <-time.After(20 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "the dropped stub was never cleaned")
	}
}

// Renewals keep a held object alive for many leases; when the holder
// stops without a word, the object is unreferenced once its lease lapses,
// and the owner says so to anyone who calls it later.
func TestLeasesRenewAndLapse(t *testing.T) {
	const lease = 400 * time.Millisecond
	srv, impl := dgcServer(t, lease)
	cli, err := remote.NewRuntime(remote.Options{})
	require.NoError(t, err)
	calc := dialCalc(t, cli, srv.Endpoint())
	k, err := calc.NewCounter(ctxT(t), 1)
	require.NoError(t, err)
	ref, _ := remote.RefOf(k)
	waitHolders(t, srv, ref, 1)

	time.Sleep(4 * lease)
	_, err = k.Incr(ctxT(t), 1)
	require.NoError(t, err, "a renewed reference outlives its first lease")
	select {
	case <-impl.Unreferenced:
		t.Fatal("unreferenced while held")
	default:
	}
	dirty := srv.Inspect().DirtyReceived
	assert.GreaterOrEqual(t, dirty, uint64(4), "one renewal per half lease")
	assert.LessOrEqual(t, dirty, uint64(14))

	closed := time.Now()
	cli.Crash() // no clean is sent: the lease must lapse
	unreferenced(t, impl, 10*lease)
	took := time.Since(closed)
	t.Logf("Unreferenced %v after the holder stopped (lease %v)", took, lease)
	assert.Less(t, took, 2*lease, "lease plus check interval, with a margin for a loaded machine")

	other := newRuntime(t, remote.Options{})
	_, err = remote.Dynamic(other, ref).Call(ctxT(t), "Get")
	require.ErrorIs(t, err, objerr.ErrNoSuchObject)
	assert.Contains(t, err.Error(), "its last lease lapsed")
}

// Runtime A passes B's object to C and lets go of it at once. C calls B
// directly, and the object lives while C holds it.
func TestThirdPartyHandoff(t *testing.T) {
	b, bImpl := dgcServer(t, time.Second)
	c, cImpl := dgcServer(t, time.Second)
	// A's own hold outlives its Release by A's transit window, while C's
	// dirty is on its way to B.
	a := newRuntime(t, remote.Options{TransitTimeout: 300 * time.Millisecond})
	k, err := dialCalc(t, a, b.Endpoint()).NewCounter(ctxT(t), 100)
	require.NoError(t, err)
	calcC := dialCalc(t, a, c.Endpoint())
	require.NoError(t, calcC.Keep(ctxT(t), "k", k))
	remote.Release(k)
	ref, _ := remote.RefOf(k)

	require.Eventually(t, func() bool {
		h := mustExport(t, b, ref).Holders
		return len(h) == 1 && h[0].Runtime == c.ID()
	}, 10*time.Second, 5*time.Millisecond, "C, and only C, holds B's object")
	n, err := calcC.Use(ctxT(t), "k", 1)
	require.NoError(t, err)
	assert.Equal(t, int64(101), n)
	assert.Empty(t, cImpl.Unreferenced)

	require.NoError(t, calcC.Drop(ctxT(t), "k"))
	assert.Equal(t, int64(100), unreferenced(t, bImpl, 10*time.Second))
}

// The in-transit window: a reference travels to Y in a result while its
// only holder X releases it. Y's dirty is held up on the network; the
// object must survive until it arrives.
func TestReferenceInTransitSurvivesItsLastHolder(t *testing.T) {
	srv, impl := dgcServer(t, time.Minute)
	impl.Gate = make(chan struct{})
	x := newRuntime(t, remote.Options{})
	calcX := dialCalc(t, x, srv.Endpoint())
	k, err := calcX.NewCounter(ctxT(t), 7)
	require.NoError(t, err)
	require.NoError(t, x.Confirm(ctxT(t), k)) // X's pin is claimed: only Y's will be in transit
	ref, _ := remote.RefOf(k)
	require.NoError(t, calcX.Keep(ctxT(t), "k", k)) // the server keeps its own object: no hold

	p := newProxy(t, srv.Endpoint())
	y := newRuntime(t, remote.Options{})
	calcY := dialCalc(t, y, p.addr())
	got := make(chan testsvc.Counter, 1)
	go func() {
		k, err := calcY.Fetch(ctxT(t), "k")
		assert.NoError(t, err)
		got <- k
	}()
	// Not Serving == 1: X's dirty, served at the same time, would pass.
	select {
	case <-impl.Started:
	case <-time.After(10 * time.Second):
		t.Fatal("Fetch never reached the server")
	}
	resume := p.hold() // Y's dirty will wait on the network
	t.Cleanup(resume)
	impl.Gate <- struct{}{}
	ky := <-got

	remote.Release(k) // X, the only holder, lets go
	waitHolders(t, srv, ref, 0)
	e := mustExport(t, srv, ref)
	assert.Equal(t, 1, e.InTransit, "Y's copy is still on its way")
	select {
	case <-impl.Unreferenced:
		t.Fatal("collected while a reference to it was in transit")
	case <-time.After(200 * time.Millisecond):
	}

	resume()
	n, err := ky.Incr(ctxT(t), 1)
	require.NoError(t, err)
	assert.Equal(t, int64(8), n)
	waitHolders(t, srv, ref, 1)
	remote.Release(ky)
	unreferenced(t, impl, 10*time.Second)
}

// An explicitly exported object stays exported when unreferenced, unless
// it asked to be collectable.
func TestExplicitExportsAndCollectable(t *testing.T) {
	srv, _ := dgcServer(t, time.Minute)
	cli := newRuntime(t, remote.Options{})
	for _, collectable := range []bool{false, true} {
		var opts []remote.ExportOption
		if collectable {
			opts = append(opts, remote.Collectable())
		}
		impl := testsvc.NewCalc()
		ref, err := remote.Export[testsvc.Calculator](srv, impl, opts...)
		require.NoError(t, err)
		calc, err := remote.StubOf[testsvc.Calculator](cli, ref)
		require.NoError(t, err)
		waitHolders(t, srv, ref, 1)
		remote.Release(calc)
		if collectable {
			require.Eventually(t, func() bool { _, ok := exportOf(srv, ref); return !ok },
				10*time.Second, 5*time.Millisecond, "a collectable export is collected")
		} else {
			waitHolders(t, srv, ref, 0)
			mustExport(t, srv, ref)
		}
	}
}

// Orphaned calls are cancelled with a cause that says so, and the cause
// crosses hops: A calls B, B calls C with its own context, A vanishes.
func TestOrphanCancellationCrossesHops(t *testing.T) {
	c, cImpl := dgcServer(t, time.Minute)
	b := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", OrphanGrace: orphanGrace, LeaseCheckInterval: 10 * time.Millisecond})
	_, err := remote.Export[testsvc.Calculator](b, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)

	p := newProxy(t, b.Endpoint())
	a := newRuntime(t, remote.Options{})
	calcB := dialCalc(t, a, p.addr())
	calcC := dialCalc(t, a, c.Endpoint())
	errc := make(chan error, 1)
	go func() {
		_, err := calcB.Relay(ctxT(t), calcC, time.Minute)
		errc <- err
	}()
	<-cImpl.Started
	p.cut() // A is gone as far as B can tell
	require.ErrorIs(t, <-errc, objerr.ErrOutcomeUnknown)
	seen := <-cImpl.Ended
	assert.True(t, seen.Canceled)
	assert.Contains(t, seen.Cause, objerr.ErrOrphaned.Error(), "C learns that its caller's caller is gone")
	require.Eventually(t, func() bool { return b.Inspect().OrphansCancelled == 1 }, 10*time.Second, 5*time.Millisecond)
}

// Exporting an object that was so far only passed by reference makes it
// an explicit export: it is no longer collected when its holders go.
func TestExportAfterImplicitExportIsExplicit(t *testing.T) {
	srv, impl := dgcServer(t, time.Minute)
	cli := newRuntime(t, remote.Options{})
	k, err := dialCalc(t, cli, srv.Endpoint()).NewCounter(ctxT(t), 3)
	require.NoError(t, err)
	ref, _ := remote.RefOf(k)
	waitHolders(t, srv, ref, 1)
	local, err := remote.StubOf[testsvc.Counter](srv, ref) // the server's own object
	require.NoError(t, err)
	again, err := remote.Export[testsvc.Counter](srv, local)
	require.NoError(t, err)
	assert.Equal(t, ref, again)
	assert.False(t, mustExport(t, srv, ref).Implicit)

	remote.Release(k)
	unreferenced(t, impl, 10*time.Second)
	mustExport(t, srv, ref)
}

// A stub released at once, perhaps before its dirty went out, still ends
// the object promptly rather than after the transit window.
func TestReleaseAtOnceIsPrompt(t *testing.T) {
	srv, impl := dgcServer(t, time.Minute) // transit window: 10 s
	cli := newRuntime(t, remote.Options{})
	calc := dialCalc(t, cli, srv.Endpoint())
	for i := range 20 {
		k, err := calc.NewCounter(ctxT(t), int64(i))
		require.NoError(t, err)
		remote.Release(k)
		assert.Equal(t, int64(i), unreferenced(t, impl, 5*time.Second))
	}
}

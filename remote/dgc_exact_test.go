package remote_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// holderIDs lists the runtimes the owner counts as holders of ref.
func holderIDs(owner *remote.Runtime, ref remote.Ref) []uuid.UUID {
	e, _ := exportOf(owner, ref)
	var ids []uuid.UUID
	for _, h := range e.Holders {
		ids = append(ids, h.Runtime)
	}
	return ids
}

// Issue 12 item 6: a partition longer than the lease (the connection
// survives it: default heartbeats) makes the owner drop holder H1, and
// H1's renewal that it gave up on arrives afterwards. H1 must end up
// counted again, so that when H2 releases, the object H1 still uses and
// renews is not collected.
func TestPartitionedHolderIsCountedAgain(t *testing.T) {
	const lease = 2 * time.Second
	owner := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Lease: lease})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](owner, impl, remote.WithID(calcID))
	require.NoError(t, err)
	ctx := ctxT(t)

	h2 := newRuntime(t, remote.Options{})
	k2, err := dialCalc(t, h2, owner.Endpoint()).NewCounter(ctx, 7)
	require.NoError(t, err)
	ref, _ := remote.RefOf(k2)

	proxy := startStallProxy(t, owner.Endpoint())
	h1 := newRuntime(t, remote.Options{Dial: proxy.dial})
	k1, err := remote.StubOf[testsvc.Counter](h1, ref)
	require.NoError(t, err)
	_, err = k1.Incr(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, h1.Confirm(ctx, k1))
	waitHolders(t, owner, ref, 2)

	proxy.stall(true)
	stalled := time.Now()
	time.Sleep(3 * lease)
	// The link drains slowly: the renewal H1 gave up on reaches the
	// owner well before H1's retry does.
	proxy.set(false, 300*time.Millisecond)
	time.AfterFunc(lease, func() { proxy.set(false, 0) })
	require.Eventually(t, func() bool { _, err := k1.Incr(ctx, 1); return err == nil }, 10*time.Second, 20*time.Millisecond,
		"H1's calls work again after the partition")
	require.Eventually(t, func() bool { return slices.Contains(holderIDs(owner, ref), h1.ID()) }, 4*lease, 10*time.Millisecond,
		"H1 renews, so the owner must count it again")
	t.Logf("H1 counted again %v after the partition began (lease %v, partition %v)",
		time.Since(stalled).Round(time.Millisecond), lease, 3*lease)

	remote.Release(k2)
	require.Eventually(t, func() bool { return !slices.Contains(holderIDs(owner, ref), h2.ID()) }, 10*time.Second, 10*time.Millisecond)
	time.Sleep(2 * lease) // renewals, and checks that would collect it
	_, ok := exportOf(owner, ref)
	require.True(t, ok, "the object H1 holds and renews was collected")
	assert.Equal(t, []uuid.UUID{h1.ID()}, holderIDs(owner, ref))
	assert.NoError(t, h1.Confirm(ctx, k1))
	_, err = k1.Incr(ctx, 1)
	assert.NoError(t, err)
	select {
	case <-impl.Unreferenced:
		t.Fatal("Unreferenced ran while H1 holds the object")
	default:
	}
}

// Issue 12 item 7: B passes A's object X to C. Once A has granted C's
// claim, C tells B, and B's in-transit pin for C ends: B's release and
// then C's make X unreferenced at once, not after TransitTimeout (at its
// default, 30 s, here).
func TestPassedOnReferenceEndsWithTheReceiversAck(t *testing.T) {
	opts := remote.Options{Listen: "127.0.0.1:0"} // Lease and TransitTimeout at their defaults
	a, b, c := newRuntime(t, opts), newRuntime(t, opts), newRuntime(t, opts)
	implA := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](a, implA, remote.WithID(calcID))
	require.NoError(t, err)
	implC := testsvc.NewCalc()
	_, err = remote.Export[testsvc.Calculator](c, implC, remote.WithID(calcID))
	require.NoError(t, err)
	ctx := ctxT(t)

	x, err := dialCalc(t, b, a.Endpoint()).NewCounter(ctx, 11)
	require.NoError(t, err)
	ref, _ := remote.RefOf(x)
	require.NoError(t, dialCalc(t, b, c.Endpoint()).Keep(ctx, "x", x))
	waitHolders(t, a, ref, 2) // B and C

	released := time.Now()
	remote.Release(x)
	require.NoError(t, dialCalc(t, a, c.Endpoint()).Drop(ctx, "x"))
	select {
	case got := <-implA.Unreferenced:
		assert.Equal(t, int64(11), got)
	case <-time.After(10 * time.Second):
		t.Fatalf("X not unreferenced 10 s after B and C released it (holders %v, TransitTimeout 30 s)", holderIDs(a, ref))
	}
	took := time.Since(released)
	t.Logf("X unreferenced %v after B's release and C's (TransitTimeout 30 s, Lease 30 s)", took.Round(time.Microsecond))
	assert.Less(t, took, 5*time.Second)
}

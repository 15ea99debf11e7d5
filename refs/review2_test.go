package refs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
)

// mixedOwners routes each message by its owner: one healthy owner, a
// real gc.Table, and owners that granted one dirty and then never
// answer again, holding each message until the caller gives up (a
// hostile runtime that keeps its connection alive and its mouth shut).
type mixedOwners struct {
	healthy *ownerTable
	mu      sync.Mutex
	silent  map[uuid.UUID]bool // owner -> has granted its one dirty
}

func (m *mixedOwners) Dirty(ctx context.Context, to link.Owner, d gc.Dirty) (gc.Grant, error) {
	m.mu.Lock()
	granted, isSilent := m.silent[to.Runtime]
	if isSilent && !granted {
		m.silent[to.Runtime] = true
	}
	m.mu.Unlock()
	if !isSilent {
		return m.healthy.Dirty(ctx, to, d)
	}
	if !granted {
		return gc.Grant{Lease: 200 * time.Millisecond, Known: true, Epoch: 1}, nil
	}
	<-ctx.Done()
	return gc.Grant{}, ctx.Err()
}

func (m *mixedOwners) Clean(ctx context.Context, to link.Owner, c gc.Clean) error {
	m.mu.Lock()
	_, isSilent := m.silent[to.Runtime]
	m.mu.Unlock()
	if !isSilent {
		return m.healthy.Clean(ctx, to, c)
	}
	<-ctx.Done()
	return ctx.Err()
}

func (m *mixedOwners) Received(context.Context, link.Owner, gc.Received) error { return nil }

// Owners that answered once and then fell silent take a worker for a
// whole CallTimeout on each retry. Enough of them, all introduced by one
// hostile peer (well within MaxOwnersPerPeer), occupied every worker,
// so the renewals due to owners that do answer waited behind them until
// those owners' leases lapsed, and they dropped references this runtime
// still held: an object collected under a live holder.
func TestReviewSilentOwnersCannotStarveHealthyRenewals(t *testing.T) {
	const lease = 1500 * time.Millisecond
	healthy := newOwner(lease, 7)
	m := &mixedOwners{healthy: healthy, silent: make(map[uuid.UUID]bool)}
	tab := newTable(link.HoldersConfig{CallTimeout: time.Second, MaxBackoff: time.Second}, m)
	defer tab.Close()

	ref := wire.Ref{Runtime: uuid.New(), Object: 7}
	defer tab.Hold(ref)()
	require.NoError(t, tab.Confirm(context.Background(), ref))

	hostile := link.Owner{Runtime: uuid.New()}
	for range 64 {
		id := uuid.New()
		m.mu.Lock()
		m.silent[id] = false
		m.mu.Unlock()
		release, err := tab.HoldFrom(wire.Ref{Runtime: id, Object: 5000}, hostile, 0)
		require.NoError(t, err)
		defer release()
	}

	// For several leases, the healthy owner must go on counting us.
	for end := time.Now().Add(4 * lease); time.Now().Before(end); {
		healthy.tb.Expire()
		require.Len(t, healthy.holders(7), 1, "the healthy owner dropped a reference this runtime holds: its renewals starved")
		tab.mu.Lock()
		exchanges := tab.exchanges
		tab.mu.Unlock()
		require.LessOrEqual(t, exchanges, 65, "exchanges in flight: at most one per owner")
		time.Sleep(20 * time.Millisecond)
	}
}

// silentSenders is a healthy owner whose objects were passed to this
// runtime by senders that never answer an acknowledgement.
type silentSenders struct{ *ownerTable }

func (s silentSenders) Received(ctx context.Context, _ link.Owner, _ gc.Received) error {
	<-ctx.Done()
	return ctx.Err()
}

// Acknowledgements to senders that never answer wait on the shared
// workers too, never on the ones renewals need.
func TestSilentSendersCannotStarveHealthyRenewals(t *testing.T) {
	const lease = 1500 * time.Millisecond
	objs := make([]uint64, 65)
	for i := range objs {
		objs[i] = uint64(7 + i)
	}
	healthy := newOwner(lease, objs...)
	tab := newTable(link.HoldersConfig{CallTimeout: time.Second, MaxBackoff: time.Second}, silentSenders{healthy})
	defer tab.Close()
	owner := uuid.New()
	ref := wire.Ref{Runtime: owner, Object: 7}
	defer tab.Hold(ref)()
	require.NoError(t, tab.Confirm(context.Background(), ref))
	for _, obj := range objs[1:] {
		release, err := tab.HoldFrom(wire.Ref{Runtime: owner, Object: obj}, link.Owner{Runtime: uuid.New()}, 1)
		require.NoError(t, err)
		defer release()
	}
	for end := time.Now().Add(4 * lease); time.Now().Before(end); {
		healthy.tb.Expire()
		require.Len(t, healthy.holders(7), 1, "the healthy owner dropped a reference this runtime holds: its renewals starved")
		time.Sleep(20 * time.Millisecond)
	}
}

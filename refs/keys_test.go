package refs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
)

// keyedOwner is an owner whose objects need a key, which records the
// acknowledgements sent to the references' senders and can hold the
// first dirty until told.
type keyedOwner struct {
	*ownerTable
	gate    chan struct{} // the first dirty waits for it to close; nil: none
	started chan struct{} // closed when the first dirty arrives
	once    sync.Once
	mu      sync.Mutex
	acks    map[uuid.UUID][]uint64 // sender -> pins acknowledged
}

func newKeyedOwner(obj, key uint64, gated bool) *keyedOwner {
	o := newOwner(time.Hour)
	o.tb.Track(obj, false, key)
	k := &keyedOwner{ownerTable: o, started: make(chan struct{}), acks: make(map[uuid.UUID][]uint64)}
	if gated {
		k.gate = make(chan struct{})
	}
	return k
}

func (k *keyedOwner) Dirty(ctx context.Context, to link.Owner, d gc.Dirty) (gc.Grant, error) {
	first := false
	k.once.Do(func() { first = true; close(k.started) })
	if first && k.gate != nil {
		<-k.gate
	}
	return k.ownerTable.Dirty(ctx, to, d)
}

func (k *keyedOwner) Received(_ context.Context, to link.Owner, r gc.Received) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range r.Refs {
		k.acks[to.Runtime] = append(k.acks[to.Runtime], p.Pin)
	}
	return nil
}

func (k *keyedOwner) acked(sender uuid.UUID) []uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]uint64(nil), k.acks[sender]...)
}

// A reference built by hand without its key is refused by the owner;
// the real one, sent later by a third runtime, is claimed with its own
// key, and its sender is told only once that claim is granted. Before,
// the entry kept the first key and stayed refused: the real copy was
// never claimed and its sender was told at once, so the owner could
// collect the object under this holder.
func TestARefusedReferenceIsClaimedAgainWithAnotherCopysKey(t *testing.T) {
	const obj, key = 7, 0xfeed
	o := newKeyedOwner(obj, key, false)
	tab := newTable(link.HoldersConfig{}, o)
	defer tab.Close()
	owner := uuid.New()
	byHand := wire.Ref{Runtime: owner, Object: obj} // no key
	defer tab.Hold(byHand)()
	require.Error(t, tab.Confirm(context.Background(), byHand), "the owner refuses a claim without the key")

	b := link.Owner{Runtime: uuid.New()}
	release, err := tab.HoldFrom(wire.Ref{Runtime: owner, Object: obj, Key: key}, b, 41)
	require.NoError(t, err)
	defer release()
	require.NoError(t, tab.Confirm(context.Background(), byHand), "the real copy's key is claimed")
	assert.Equal(t, []uuid.UUID{o.from}, o.holders(obj))
	require.Eventually(t, func() bool { return len(o.acked(b.Runtime)) == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []uint64{41}, o.acked(b.Runtime))
}

// A forged copy whose claim is on its way when the real copy arrives:
// once the owner refuses the forged key, the real one is claimed, and
// only then is its sender told; the forger's copy is answered as refused.
func TestARealCopyArrivingDuringAForgedClaimIsClaimedNext(t *testing.T) {
	const obj, key = 7, 0xfeed
	o := newKeyedOwner(obj, key, true)
	tab := newTable(link.HoldersConfig{}, o)
	defer tab.Close()
	owner := uuid.New()
	forger, b := link.Owner{Runtime: uuid.New()}, link.Owner{Runtime: uuid.New()}
	release, err := tab.HoldFrom(wire.Ref{Runtime: owner, Object: obj, Key: key ^ 0x5a5a}, forger, 3)
	require.NoError(t, err)
	defer release()
	<-o.started // the forged claim is on its way
	release, err = tab.HoldFrom(wire.Ref{Runtime: owner, Object: obj, Key: key}, b, 41)
	require.NoError(t, err)
	defer release()
	time.Sleep(20 * time.Millisecond)
	assert.Empty(t, o.acked(b.Runtime), "nothing is granted yet")
	close(o.gate)

	ref := wire.Ref{Runtime: owner, Object: obj}
	require.NoError(t, tab.Confirm(context.Background(), ref), "the real copy's key is claimed after the forged one is refused")
	assert.Equal(t, []uuid.UUID{o.from}, o.holders(obj))
	require.Eventually(t, func() bool { return len(o.acked(b.Runtime)) == 1 && len(o.acked(forger.Runtime)) == 1 },
		5*time.Second, time.Millisecond)
	assert.Equal(t, []uint64{41}, o.acked(b.Runtime))
	assert.Equal(t, []uint64{3}, o.acked(forger.Runtime))
}

// The keys an entry remembers are bounded: one per sender, and at most
// maxCopies senders, however many copies arrive.
func TestTheKeysAnEntryRemembersAreBounded(t *testing.T) {
	const obj, key = 7, 0xfeed
	o := newKeyedOwner(obj, key, true)
	tab := newTable(link.HoldersConfig{}, o)
	defer tab.Close()
	defer close(o.gate)
	owner := uuid.New()
	peer := link.Owner{Runtime: uuid.New()}
	for i := range 1000 {
		release, err := tab.HoldFrom(wire.Ref{Runtime: owner, Object: obj, Key: uint64(i + 1)}, peer, uint64(i+1))
		require.NoError(t, err)
		defer release()
	}
	for range 100 {
		release, err := tab.HoldFrom(wire.Ref{Runtime: owner, Object: obj, Key: 5}, link.Owner{Runtime: uuid.New()}, 9)
		require.NoError(t, err)
		defer release()
	}
	tab.mu.Lock()
	defer tab.mu.Unlock()
	e := tab.owners[owner].entries[obj]
	assert.LessOrEqual(t, len(e.copies), maxCopies)
	assert.Equal(t, uint64(1000), e.copies[peer.Runtime].key, "one peer's latest copy")
}

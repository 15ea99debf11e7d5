package gc

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 12 item 6, at the table: a renewal the holder gave up on arrives
// after its lease lapsed and starts a new record, whose Known=false no one
// hears. The holder's next renewal still carries the old epoch, so it is
// told to claim again rather than believed.
func TestARenewalFromAMissedEpochIsNotKnown(t *testing.T) {
	tb := NewTable(Config{Lease: 20 * time.Millisecond, Transit: time.Hour})
	tb.Track(7, false, 0)
	h := uuid.New()
	g := tb.Dirty(h, Dirty{Seq: 1, Objects: []uint64{7}})
	require.True(t, tb.Dirty(h, Dirty{Seq: 2, Epoch: g.Epoch}).Known)
	time.Sleep(30 * time.Millisecond)
	_, lapsed := tb.Expire()
	require.Equal(t, []uuid.UUID{h}, lapsed)

	late := tb.Dirty(h, Dirty{Seq: 3, Epoch: g.Epoch}) // given up by the holder: no one hears it
	assert.False(t, late.Known)
	next := tb.Dirty(h, Dirty{Seq: 4, Epoch: g.Epoch})
	assert.False(t, next.Known, "the holder never heard the new epoch: it must claim again")
	assert.Equal(t, late.Epoch, next.Epoch)
	assert.True(t, tb.Dirty(h, Dirty{Seq: 5, Epoch: next.Epoch, Objects: []uint64{7}}).Known)
	info, _ := tb.Inspect(7)
	assert.Len(t, info.Holders, 1, "claimed again, counted again")
}

// Issue 12 item 9, at the table: a claim needs proof (held, pinned, or
// the key), and a refusal reads the same whether the object exists.
func TestAClaimNeedsProof(t *testing.T) {
	tb := NewTable(Config{Lease: time.Hour, Transit: time.Hour})
	tb.Track(1024, true, 0xfeed)
	tb.Track(1025, true, 0xbeef)
	guesser, sent, third := uuid.New(), uuid.New(), uuid.New()

	g := tb.Dirty(guesser, Dirty{Seq: 1, Objects: []uint64{1024, 1026}, Keys: []uint64{1, 0}})
	require.Len(t, g.Missing, 2)
	assert.Equal(t, RefusedReason(1024), g.Missing[0].Reason)
	assert.True(t, g.Missing[1].Unproven(), "an untracked number is the runtime's to check")
	info, _ := tb.Inspect(1024)
	assert.Empty(t, info.Holders)

	pin, ok := tb.Pin(1024, sent)
	require.True(t, ok)
	assert.Empty(t, tb.Dirty(sent, Dirty{Seq: 1, Objects: []uint64{1024}, Pins: []uint64{pin}}).Missing, "pinned for it")
	assert.Empty(t, tb.Dirty(third, Dirty{Seq: 1, Objects: []uint64{1024}, Keys: []uint64{0xfeed}}).Missing, "a third party with the key")
	assert.Empty(t, tb.Dirty(third, Dirty{Seq: 2, Objects: []uint64{1024}}).Missing, "held already")
	info, _ = tb.Inspect(1024)
	assert.Len(t, info.Holders, 2)
}

// Issue 12 item 10, at the table: a strong clean costs one number per
// holder, whatever it lists, and still stops a late dirty.
func TestAStrongCleanCostsOneNumber(t *testing.T) {
	tb := NewTable(Config{Lease: time.Hour, Transit: time.Hour})
	tb.Track(1024, true, 0)
	h := uuid.New()
	objs := make([]uint64, 100_000)
	for i := range objs {
		objs[i] = uint64(5000 + i)
	}
	tb.Clean(h, Clean{Seq: 9, Objects: append(objs, 1024), Strong: true})
	assert.Len(t, tb.holders, 1)
	assert.Empty(t, tb.holders[h].held)
	tb.Dirty(h, Dirty{Seq: 8, Objects: []uint64{1024}}) // the dirty the clean overtook
	info, _ := tb.Inspect(1024)
	assert.Empty(t, info.Holders, "a late dirty does not bring the holder back")
	tb.Dirty(h, Dirty{Seq: 10, Objects: []uint64{1024}})
	info, _ = tb.Inspect(1024)
	assert.Len(t, info.Holders, 1, "a later one does")
}

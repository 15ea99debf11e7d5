package gc

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLateDirtyNeverResurrects(t *testing.T) {
	tb := NewTable(Config{Lease: time.Hour, Transit: time.Hour})
	tb.Track(7, true, 0)
	a := uuid.New()
	tb.Dirty(a, Dirty{Seq: 1, Objects: []uint64{7}})
	// The clean (seq 3) overtakes a retried dirty (seq 2).
	ev := tb.Clean(a, Clean{Seq: 3, Objects: []uint64{7}, Strong: true})
	require.Equal(t, []Event{{Object: 7, Reason: Released}}, ev)
	g := tb.Dirty(a, Dirty{Seq: 2, Objects: []uint64{7}})
	assert.Equal(t, []Missing{{Object: 7}}, g.Missing, "collected objects stay collected")

	tb.Track(8, false, 0)
	tb.Dirty(a, Dirty{Seq: 4, Objects: []uint64{8}})
	tb.Clean(a, Clean{Seq: 6, Objects: []uint64{8}, Strong: true})
	tb.Dirty(a, Dirty{Seq: 5, Objects: []uint64{8}})
	info, ok := tb.Inspect(8)
	require.True(t, ok)
	assert.Empty(t, info.Holders, "a late dirty must not bring a cleaned holder back")
}

func TestLateCleanNeverDropsANewerDirty(t *testing.T) {
	tb := NewTable(Config{Lease: time.Hour, Transit: time.Hour})
	tb.Track(7, true, 0)
	a := uuid.New()
	tb.Dirty(a, Dirty{Seq: 5, Objects: []uint64{7}})
	assert.Empty(t, tb.Clean(a, Clean{Seq: 4, Objects: []uint64{7}}))
	info, _ := tb.Inspect(7)
	assert.Len(t, info.Holders, 1)
}

func TestUnreferencedOnceWhenTheLastHolderLeaves(t *testing.T) {
	tb := NewTable(Config{Lease: time.Hour, Transit: time.Hour})
	tb.Track(7, false, 0)
	a, b := uuid.New(), uuid.New()
	tb.Dirty(a, Dirty{Seq: 1, Objects: []uint64{7}})
	tb.Dirty(b, Dirty{Seq: 1, Objects: []uint64{7}})
	assert.Empty(t, tb.Clean(a, Clean{Seq: 2, Objects: []uint64{7}}))
	assert.Equal(t, []Event{{7, Released}}, tb.Clean(b, Clean{Seq: 2, Objects: []uint64{7}}))
	assert.Empty(t, tb.Clean(b, Clean{Seq: 3, Objects: []uint64{7}}), "reported once")
	_, ok := tb.Inspect(7)
	assert.True(t, ok, "a non-collectable object stays tracked")
}

func TestLeasesLapse(t *testing.T) {
	tb := NewTable(Config{Lease: 20 * time.Millisecond, Transit: time.Hour})
	tb.Track(7, true, 0)
	a := uuid.New()
	g := tb.Dirty(a, Dirty{Seq: 1, Objects: []uint64{7}})
	assert.False(t, g.Known)
	assert.True(t, tb.Dirty(a, Dirty{Seq: 2, Epoch: g.Epoch}).Known, "a renewal of a live lease")
	ev, lapsed := tb.Expire()
	assert.Empty(t, ev)
	assert.Empty(t, lapsed)
	time.Sleep(60 * time.Millisecond)
	ev, lapsed = tb.Expire()
	assert.Equal(t, []Event{{7, Lapsed}}, ev)
	assert.Equal(t, []uuid.UUID{a}, lapsed)
	assert.False(t, tb.Dirty(a, Dirty{Seq: 3}).Known, "the holder must dirty again")
}

func TestPinsHoldUntilTheReceiverClaims(t *testing.T) {
	tb := NewTable(Config{Lease: time.Hour, Transit: 30 * time.Millisecond})
	tb.Track(7, true, 0)
	a, b := uuid.New(), uuid.New()
	pa, ok := tb.Pin(7, a)
	require.True(t, ok)
	_, ok = tb.Pin(7, b)
	require.True(t, ok)
	tb.Dirty(a, Dirty{Seq: 1, Objects: []uint64{7}, Pins: []uint64{pa}})
	assert.Empty(t, tb.Clean(a, Clean{Seq: 2, Objects: []uint64{7}}), "b's copy is still in transit")
	time.Sleep(60 * time.Millisecond)
	ev, _ := tb.Expire()
	assert.Equal(t, []Event{{7, Unclaimed}}, ev)
	_, ok = tb.Pin(7, a)
	assert.False(t, ok, "a collected object cannot be pinned again")
}

func TestForget(t *testing.T) {
	tb := NewTable(Config{Lease: time.Hour, Transit: time.Hour})
	tb.Track(7, false, 0)
	a := uuid.New()
	tb.Dirty(a, Dirty{Seq: 1, Objects: []uint64{7}})
	tb.Forget(7)
	_, ok := tb.Inspect(7)
	assert.False(t, ok)
	assert.Empty(t, tb.Clean(a, Clean{Seq: 2, Objects: []uint64{7}}))
}

// A holder whose lease lapsed is not known again just because the owner
// kept its record for a strong clean's tombstone.
func TestLapsedHolderWithTombsMustClaimAgain(t *testing.T) {
	tb := NewTable(Config{Lease: 20 * time.Millisecond, Transit: time.Hour})
	tb.Track(7, false, 0)
	tb.Track(8, false, 0)
	a := uuid.New()
	tb.Dirty(a, Dirty{Seq: 1, Objects: []uint64{7, 8}})
	tb.Clean(a, Clean{Seq: 2, Objects: []uint64{8}, Strong: true})
	time.Sleep(30 * time.Millisecond)
	_, lapsed := tb.Expire()
	require.Equal(t, []uuid.UUID{a}, lapsed)
	assert.False(t, tb.Dirty(a, Dirty{Seq: 3}).Known)

	b := uuid.New() // and a strong clean after the lapse does not revive it
	tb.Dirty(b, Dirty{Seq: 1, Objects: []uint64{7}})
	time.Sleep(30 * time.Millisecond)
	tb.Expire()
	tb.Clean(b, Clean{Seq: 2, Objects: []uint64{8}, Strong: true})
	assert.False(t, tb.Dirty(b, Dirty{Seq: 3}).Known)
}

// A receiver's dirty claims only the pin of the message that prompted it:
// a second message still on its way keeps the object alive.
func TestDirtyClaimsOnlyItsOwnPin(t *testing.T) {
	tb := NewTable(Config{Lease: time.Hour, Transit: 30 * time.Millisecond})
	tb.Track(7, true, 0)
	r := uuid.New()
	first, _ := tb.Pin(7, r)
	second, _ := tb.Pin(7, r)
	tb.Dirty(r, Dirty{Seq: 1, Objects: []uint64{7}, Pins: []uint64{first}})
	assert.Empty(t, tb.Clean(r, Clean{Seq: 2, Objects: []uint64{7}}), "the second message is still in transit")
	tb.Dirty(r, Dirty{Seq: 3, Objects: []uint64{7}, Pins: []uint64{second}})
	assert.Equal(t, []Event{{7, Released}}, tb.Clean(r, Clean{Seq: 4, Objects: []uint64{7}}))
}

// A holder that lets go of a reference before its dirty went out releases
// the owner's pin with its clean: no wait for the transit window.
func TestCleanReleasesAnUnclaimedPin(t *testing.T) {
	tb := NewTable(Config{Lease: time.Hour, Transit: time.Hour})
	tb.Track(7, true, 0)
	r := uuid.New()
	p, _ := tb.Pin(7, r)
	assert.Empty(t, tb.Clean(r, Clean{Seq: 1, Objects: []uint64{7}, Pins: []uint64{p + 1}}), "not its pin")
	assert.Equal(t, []Event{{7, Released}}, tb.Clean(r, Clean{Seq: 2, Objects: []uint64{7}, Pins: []uint64{p}}))
}

package gc

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holders gives n runtimes a lease on one object each.
func holders(t *Table, n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
		t.Track(uint64(i+1), true, 0)
		t.Dirty(ids[i], Dirty{Seq: 1, Objects: []uint64{uint64(i + 1)}})
	}
	return ids
}

// A check with nothing due looks at nothing: leases wait in a heap keyed
// by their end, and only those that end are popped.
func TestExpireLooksOnlyAtWhatIsDue(t *testing.T) {
	tab := NewTable(Config{Lease: time.Hour, Transit: time.Hour})
	ids := holders(tab, 1000)
	for range 10 {
		ev, lapsed := tab.Expire()
		require.Empty(t, ev)
		require.Empty(t, lapsed)
	}
	assert.Len(t, tab.due, 1000, "one entry per holder record")
	assert.Equal(t, time.Hour, time.Until(tab.due[0].at).Round(time.Hour), "the earliest is a lease's end")

	// One holder dropped: it alone is due, and its object alone goes.
	ev := tab.Drop(ids[7])
	require.Equal(t, []Event{{Object: 8, Reason: Disconnected}}, ev)
	time.Sleep(time.Millisecond)
	_, lapsed := tab.Expire()
	assert.Empty(t, lapsed, "dropped, not lapsed")
	assert.False(t, tab.Knows(ids[7]), "its record is gone at the next check")
	assert.Len(t, tab.due, 999)
}

// Renewals move a lease's end later without touching the heap; the
// entry comes due at the old end, finds the lease renewed, and goes back
// in, so a renewed holder never lapses and a silent one does.
func TestExpireFollowsRenewals(t *testing.T) {
	const lease = 50 * time.Millisecond
	tab := NewTable(Config{Lease: lease, Transit: lease})
	ids := holders(tab, 2)
	deadline := time.Now().Add(3 * lease)
	var lapsed []uuid.UUID
	for time.Now().Before(deadline) {
		tab.Dirty(ids[0], Dirty{Seq: 2})
		_, l := tab.Expire()
		lapsed = append(lapsed, l...)
		time.Sleep(lease / 10)
	}
	assert.Equal(t, []uuid.UUID{ids[1]}, lapsed, "the silent holder alone lapsed")
	o, _ := tab.Inspect(1)
	assert.Len(t, o.Holders, 1, "the renewing holder still holds its object")
}

// Pins wait in the heap too: an unclaimed one ends at its transit
// timeout, a claimed one leaves nothing behind.
func TestExpirePins(t *testing.T) {
	const transit = 30 * time.Millisecond
	tab := NewTable(Config{Lease: time.Hour, Transit: transit})
	tab.Track(1, true, 0)
	tab.Track(2, true, 0)
	to := uuid.New()
	tab.Pin(1, to)
	n, _ := tab.Pin(2, to)
	tab.Dirty(to, Dirty{Seq: 1, Objects: []uint64{2}, Pins: []uint64{n}})
	require.Eventually(t, func() bool {
		ev, _ := tab.Expire()
		return len(ev) == 1 && ev[0] == Event{Object: 1, Reason: Unclaimed}
	}, 5*time.Second, time.Millisecond)
	_, ok := tab.Inspect(2)
	assert.True(t, ok, "the claimed object is held")
	// The second pin's entry comes due a little after the first's: once
	// it has, the claimed pin leaves nothing behind.
	time.Sleep(2 * transit)
	tab.Expire()
	assert.Len(t, tab.due, 1, "only the holder's record is left in the heap")
}

// BenchmarkExpireIdle is the check interval's cost with 10,000 holders
// whose leases are all current.
func BenchmarkExpireIdle(b *testing.B) {
	tab := NewTable(Config{Lease: time.Hour, Transit: time.Hour})
	holders(tab, 10000)
	for b.Loop() {
		tab.Expire()
	}
}

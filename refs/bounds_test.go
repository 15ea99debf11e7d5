package refs

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// A thousand owners that never answer cost entries, not goroutines, and
// a peer cannot introduce more than its share.
func TestUnknownOwnersShareTheWorkers(t *testing.T) {
	o := newOwner(time.Hour)
	o.setDown(true)
	tab := newTable(link.HoldersConfig{MaxOwnersPerPeer: 1000, MaxOwners: 2000}, o)
	defer tab.Close()
	peer := link.Owner{Runtime: uuid.New()}
	before := runtime.NumGoroutine()
	for i := range 1000 {
		release, err := tab.HoldFrom(wire.Ref{Runtime: uuid.New(), Object: 5000}, peer, 0)
		require.NoError(t, err, "owner %d", i)
		defer release()
	}
	_, err := tab.HoldFrom(wire.Ref{Runtime: uuid.New(), Object: 5000}, peer, 0)
	assert.ErrorIs(t, err, objerr.ErrLimit)
	time.Sleep(50 * time.Millisecond) // rounds run, and fail
	assert.LessOrEqual(t, runtime.NumGoroutine()-before, tab.cfg.Workers+1, "workers and the scheduler only")
	o.mu.Lock()
	assert.Positive(t, o.dirties)
	o.mu.Unlock()
}

// A sent copy's pin ends when its receiver, and only it, acknowledges the
// copy's number; otherwise it lasts the transit window.
func TestOnlyTheReceiverEndsItsPin(t *testing.T) {
	o := newOwner(time.Hour, 7)
	tab := newTable(link.HoldersConfig{Transit: time.Hour}, o)
	defer tab.Close()
	ref := wire.Ref{Runtime: uuid.New(), Object: 7}
	release := tab.Hold(ref)
	require.NoError(t, tab.Confirm(context.Background(), ref))
	receiver, other := uuid.New(), uuid.New()
	pin := tab.Pin(ref, receiver)
	require.NotZero(t, pin)
	release()

	tab.Acked(other, []gc.Passed{{Owner: ref.Runtime, Object: 7, Pin: pin}})
	tab.Acked(receiver, []gc.Passed{{Owner: ref.Runtime, Object: 7, Pin: pin + 1}})
	time.Sleep(50 * time.Millisecond)
	assert.Len(t, o.holders(7), 1, "still pinned for the receiver")

	tab.Acked(receiver, []gc.Passed{{Owner: ref.Runtime, Object: 7, Pin: pin}})
	require.Eventually(t, func() bool { return len(o.holders(7)) == 0 }, 5*time.Second, time.Millisecond,
		"the receiver's ack ends the pin, and the clean goes out")
}

package refs

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// ownerTable delivers messages straight into a real gc.Table, as the
// owner's DGC object would, and can fail cleans on demand.
type ownerTable struct {
	tb         *gc.Table
	from       uuid.UUID
	mu         sync.Mutex
	failCleans int
	dirties    int
	down       bool // dirties fail as if the owner could not be dialled
}

func (o *ownerTable) Dirty(_ context.Context, _ link.Owner, d gc.Dirty) (gc.Grant, error) {
	o.mu.Lock()
	o.dirties++
	down := o.down
	o.mu.Unlock()
	if down {
		return gc.Grant{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeConnection, Err: errors.New("connection refused")}
	}
	return o.tb.Dirty(o.from, d), nil
}

func (o *ownerTable) setDown(down bool) {
	o.mu.Lock()
	o.down = down
	o.mu.Unlock()
}

func (o *ownerTable) Clean(_ context.Context, _ link.Owner, c gc.Clean) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failCleans > 0 {
		o.failCleans--
		return &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeConnection, Err: errors.New("lost")}
	}
	o.tb.Clean(o.from, c)
	return nil
}

func (o *ownerTable) Received(context.Context, link.Owner, gc.Received) error { return nil }

func (o *ownerTable) holders(obj uint64) []uuid.UUID {
	info, _ := o.tb.Inspect(obj)
	var ids []uuid.UUID
	for _, h := range info.Holders {
		ids = append(ids, h.Runtime)
	}
	return ids
}

func newOwner(lease time.Duration, objs ...uint64) *ownerTable {
	o := &ownerTable{tb: gc.NewTable(gc.Config{Lease: lease, Transit: time.Hour}), from: uuid.New()}
	for _, obj := range objs {
		o.tb.Track(obj, false, 0)
	}
	return o
}

// A clean that failed and is retried must not undo a dirty for the same
// object made after it.
func TestRetriedCleanNeverUndoesALaterDirty(t *testing.T) {
	o := newOwner(time.Hour, 7)
	tab := newTable(link.HoldersConfig{MinBackoff: 5 * time.Millisecond}, o)
	defer tab.Close()
	ref := wire.Ref{Runtime: uuid.New(), Object: 7}

	release := tab.Hold(ref)
	require.Eventually(t, func() bool { return len(o.holders(7)) == 1 }, 5*time.Second, time.Millisecond)
	o.mu.Lock()
	o.failCleans = 1
	o.mu.Unlock()
	release()
	require.Eventually(t, func() bool { o.mu.Lock(); defer o.mu.Unlock(); return o.failCleans == 0 }, 5*time.Second, time.Millisecond)
	defer tab.Hold(ref)() // a new stub, while the clean waits to be retried

	time.Sleep(100 * time.Millisecond) // many retry periods
	assert.Equal(t, []uuid.UUID{o.from}, o.holders(7), "the held reference must stay held")
	assert.Equal(t, "held", tab.Snapshot()[0].State)
}

// Renewal costs one message per owner per half lease, however many
// references are held.
func TestRenewalIsPerOwnerNotPerReference(t *testing.T) {
	const lease = 100 * time.Millisecond
	objs := make([]uint64, 1000)
	for i := range objs {
		objs[i] = uint64(1024 + i)
	}
	o := newOwner(lease, objs...)
	tab := newTable(link.HoldersConfig{}, o)
	defer tab.Close()
	owner := uuid.New()
	for _, obj := range objs {
		defer tab.Hold(wire.Ref{Runtime: owner, Object: obj})()
	}
	require.Eventually(t, func() bool {
		return slices.Equal(o.holders(objs[999]), []uuid.UUID{o.from}) && len(o.holders(objs[0])) == 1
	}, 5*time.Second, time.Millisecond)
	o.mu.Lock()
	before := o.dirties
	o.mu.Unlock()
	const window = 10 * lease
	time.Sleep(window)
	o.mu.Lock()
	renewals := o.dirties - before
	o.mu.Unlock()
	t.Logf("%d renewals in %v for 1000 references (lease %v)", renewals, window, lease)
	assert.GreaterOrEqual(t, renewals, 10, "about one per half lease")
	assert.LessOrEqual(t, renewals, 22, "never one per reference")
	for _, obj := range objs {
		require.Len(t, o.holders(obj), 1)
	}
}

// A reference the owner says is gone is lost; the owner goroutine then
// sleeps instead of planning renewals it will never send.
func TestAGoneReferenceIsLostAndNotRenewed(t *testing.T) {
	const lease = 100 * time.Millisecond
	o := newOwner(lease, 7)
	tab := newTable(link.HoldersConfig{}, o)
	defer tab.Close()
	ref := wire.Ref{Runtime: uuid.New(), Object: 7}
	defer tab.Hold(ref)()
	require.NoError(t, tab.Confirm(context.Background(), ref))

	o.tb.Forget(7) // unexported
	lost := tab.Watch(ref)
	select {
	case <-lost.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the renewal did not report the object gone")
	}
	assert.ErrorIs(t, context.Cause(lost), objerr.ErrNoSuchObject)
	tab.mu.Lock()
	ow := tab.owners[ref.Runtime]
	tab.mu.Unlock()
	// One more round sees that nothing is owed; after it the goroutine
	// sleeps, instead of waking each millisecond for a renewal it skips.
	assert.Eventually(t, func() bool { return ow.nextWake(time.Time{}) > time.Minute }, 10*time.Second, time.Millisecond)
}

// A lease that lapsed while the owner was unreachable is reported, and
// forgotten once the owner answers again.
func TestALapseIsForgottenWhenTheOwnerAnswers(t *testing.T) {
	const lease = 100 * time.Millisecond
	o := newOwner(lease, 7)
	tab := newTable(link.HoldersConfig{MaxBackoff: lease}, o)
	defer tab.Close()
	ref := wire.Ref{Runtime: uuid.New(), Object: 7}
	defer tab.Hold(ref)()
	require.NoError(t, tab.Confirm(context.Background(), ref))

	o.setDown(true)
	lost := tab.Watch(ref)
	select {
	case <-lost.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the lapse was not noticed")
	}
	assert.ErrorIs(t, context.Cause(lost), objerr.ErrLeaseLapsed)
	assert.ErrorIs(t, tab.Confirm(context.Background(), ref), objerr.ErrLeaseLapsed)

	o.setDown(false)
	require.Eventually(t, func() bool { return tab.Confirm(context.Background(), ref) == nil }, 10*time.Second, time.Millisecond)
	assert.NoError(t, tab.Watch(ref).Err(), "a new watch starts afresh")
	assert.Error(t, lost.Err(), "the old one stays done")
}

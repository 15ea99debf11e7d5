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
}

func (o *ownerTable) Dirty(_ context.Context, _ Owner, d gc.Dirty) (gc.Grant, error) {
	o.mu.Lock()
	o.dirties++
	o.mu.Unlock()
	return o.tb.Dirty(o.from, d), nil
}

func (o *ownerTable) Clean(_ context.Context, _ Owner, c gc.Clean) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failCleans > 0 {
		o.failCleans--
		return &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeConnection, Err: errors.New("lost")}
	}
	o.tb.Clean(o.from, c)
	return nil
}

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
		o.tb.Track(obj, false)
	}
	return o
}

// A clean that failed and is retried must not undo a dirty for the same
// object made after it.
func TestRetriedCleanNeverUndoesALaterDirty(t *testing.T) {
	o := newOwner(time.Hour, 7)
	tab := New(Config{MinBackoff: 5 * time.Millisecond}, o)
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
	tab := New(Config{}, o)
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

package refs

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
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

// A lapse says it was the lease that lapsed, where the owner was (or that
// it listens on no port), and what to check: no stray "at  lapsed".
func TestALapseSaysWhatLapsed(t *testing.T) {
	for _, endpoint := range []string{"127.0.0.1:9", ""} {
		const lease = 100 * time.Millisecond
		o := newOwner(lease, 7)
		tab := newTable(link.HoldersConfig{MaxBackoff: lease}, o)
		ref := wire.Ref{Runtime: uuid.New(), Endpoint: endpoint, Object: 7}
		release := tab.Hold(ref)
		require.NoError(t, tab.Confirm(context.Background(), ref))
		o.setDown(true)
		lost := tab.Watch(ref)
		select {
		case <-lost.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the lapse was not noticed")
		}
		err := context.Cause(lost)
		require.ErrorIs(t, err, objerr.ErrLeaseLapsed)
		msg := err.Error()
		t.Logf("%s", msg)
		who := fmt.Sprintf("runtime %s at %s", ref.Runtime, endpoint)
		if endpoint == "" {
			who = fmt.Sprintf("runtime %s, which listens on no port,", ref.Runtime)
		}
		assert.Contains(t, msg, "lease lapsed: "+who+" answered no renewal since ")
		assert.Contains(t, msg, "check that it is up")
		assert.NotContains(t, msg, "  ")
		release()
		tab.Close()
	}
}

// restarting answers dirties until restarted is set, then says what a
// restarted owner's endpoint says: no such object, because the owner
// runtime restarted.
type restarting struct {
	*ownerTable
	restarted atomic.Bool
}

func (r *restarting) Dirty(ctx context.Context, to link.Owner, d gc.Dirty) (gc.Grant, error) {
	if r.restarted.Load() {
		return gc.Grant{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject,
			Reason: fmt.Sprintf("owner runtime restarted: %s is now runtime %s, the reference belongs to %s", to.Endpoint, uuid.New(), to.Runtime)}
	}
	return r.ownerTable.Dirty(ctx, to, d)
}

// After an owner restart, Snapshot says why the reference is gone, never
// a bare "gone: ".
func TestSnapshotSaysWhyAReferenceIsGone(t *testing.T) {
	const lease = 100 * time.Millisecond
	o := &restarting{ownerTable: newOwner(lease, 7)}
	tab := newTable(link.HoldersConfig{MaxBackoff: lease}, o)
	defer tab.Close()
	ref := wire.Ref{Runtime: uuid.New(), Endpoint: "127.0.0.1:9", Object: 7}
	defer tab.Hold(ref)()
	require.NoError(t, tab.Confirm(context.Background(), ref))

	o.restarted.Store(true)
	lost := tab.Watch(ref)
	select {
	case <-lost.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the restart was not noticed")
	}
	require.ErrorIs(t, context.Cause(lost), objerr.ErrNoSuchObject)
	held := tab.Snapshot()
	require.Len(t, held, 1)
	assert.Contains(t, held[0].State, "gone: owner runtime restarted: 127.0.0.1:9 is now runtime ")
}

// explaining gives each missing object the reason remote's DGC service
// gives: "object N is gone: <why>".
type explaining struct{ *ownerTable }

func (x explaining) Dirty(ctx context.Context, to link.Owner, d gc.Dirty) (gc.Grant, error) {
	g, err := x.ownerTable.Dirty(ctx, to, d)
	for i, m := range g.Missing {
		g.Missing[i].Reason = fmt.Sprintf("object %d is gone: it was unexported", m.Object)
	}
	return g, err
}

// A reference the owner says is gone reads "<ref>: object N is gone:
// why", saying "is gone" once; Snapshot gives the owner's why.
func TestAGoneReferenceSaysItOnce(t *testing.T) {
	const lease = 100 * time.Millisecond
	o := explaining{newOwner(lease, 7)}
	tab := newTable(link.HoldersConfig{}, o)
	defer tab.Close()
	ref := wire.Ref{Runtime: uuid.New(), Endpoint: "127.0.0.1:9", Object: 7, Iface: "Counter"}
	defer tab.Hold(ref)()
	require.NoError(t, tab.Confirm(context.Background(), ref))

	o.tb.Forget(7)
	lost := tab.Watch(ref)
	select {
	case <-lost.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the renewal did not report the object gone")
	}
	err := context.Cause(lost)
	require.ErrorIs(t, err, objerr.ErrNoSuchObject)
	t.Logf("%v", err)
	assert.Contains(t, err.Error(), ref.String()+": object 7 is gone: it was unexported")
	assert.Equal(t, 1, strings.Count(err.Error(), "is gone"), "%v", err)
	held := tab.Snapshot()
	require.Len(t, held, 1)
	assert.Equal(t, "gone: object 7 is gone: it was unexported", held[0].State)
}

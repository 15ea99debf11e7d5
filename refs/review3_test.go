package refs

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
)

// shortLeaser grants every dirty a lease of a nanosecond.
type shortLeaser struct{ dirties atomic.Int64 }

func (s *shortLeaser) Dirty(context.Context, link.Owner, gc.Dirty) (gc.Grant, error) {
	s.dirties.Add(1)
	return gc.Grant{Lease: 1, Known: true, Epoch: 1}, nil
}
func (s *shortLeaser) Clean(context.Context, link.Owner, gc.Clean) error       { return nil }
func (s *shortLeaser) Received(context.Context, link.Owner, gc.Received) error { return nil }

// The lease comes from the owner. One that grants a nanosecond made the
// holder renew in a loop, as fast as the owner answers, holding a worker
// the whole time.
func TestReviewOwnerCannotMakeTheHolderRenewInALoop(t *testing.T) {
	s := &shortLeaser{}
	tab := newTable(link.HoldersConfig{}, s)
	defer tab.Close()
	release, err := tab.HoldFrom(wire.Ref{Runtime: uuid.New(), Object: 5000}, link.Owner{Runtime: uuid.New()}, 0)
	assert.NoError(t, err)
	defer release()
	time.Sleep(500 * time.Millisecond)
	assert.Less(t, s.dirties.Load(), int64(100), "dirties in half a second")
}

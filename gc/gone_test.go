package gc_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/objrmi/objrmi/gc"
)

// A holder learns at its next renewal that an object it held was
// forgotten (unexported), once.
func TestRenewalReportsForgottenObjects(t *testing.T) {
	tab := gc.NewTable(gc.Config{Lease: time.Minute, Transit: time.Minute})
	h := uuid.New()
	tab.Track(1025, false, 0)
	tab.Track(1026, false, 0)
	tab.Dirty(h, gc.Dirty{Seq: 1, Objects: []uint64{1025, 1026}})
	tab.Forget(1025)
	g := tab.Dirty(h, gc.Dirty{Seq: 2})
	assert.Equal(t, []gc.Missing{{Object: 1025}}, g.Missing)
	assert.Empty(t, tab.Dirty(h, gc.Dirty{Seq: 3}).Missing, "told once")
}

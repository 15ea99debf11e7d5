package refs

import (
	"time"

	"github.com/google/uuid"
)

// Holds reports whether this runtime holds, or is claiming, a reference
// to an object of the runtime owner. The runtime keeps the owner's
// identity bound to the peer that proved it while it does, so no other
// peer can take the owner's place for its callbacks.
func (t *table) Holds(owner uuid.UUID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.owners[owner]
	return ok
}

// Renew makes the next renewal to owner due now, if this runtime holds a
// lease there: its connection to the owner was lost, and an owner that
// cannot call this runtime back counts a holder gone once it has stayed
// disconnected for a grace period (Options.HolderGrace), which may be
// shorter than the time to the next renewal. The renewal dials again.
func (t *table) Renew(owner uuid.UUID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if o := t.owners[owner]; o != nil && !o.gone && o.lease > 0 {
		o.renewAt = time.Now()
		t.wake(o)
	}
}

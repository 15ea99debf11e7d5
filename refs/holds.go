package refs

import "github.com/google/uuid"

// Holds reports whether this runtime holds, or is claiming, a reference
// to an object of the runtime owner. The runtime keeps the owner's
// identity bound to the peer that proved it while it does, so no other
// peer can take the owner's place for its callbacks.
func (t *Table) Holds(owner uuid.UUID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.owners[owner]
	return ok
}

package refs

import (
	"context"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
)

// Acknowledgements, as in Java RMI's DGC ack: a runtime that sent this
// one a reference to a third runtime's object pinned it meanwhile, so
// that it stays alive until this runtime's own claim reaches the owner.
// Once the owner has answered that claim, the sender is told (Received)
// and its pin ends; its transit timeout is only for receivers that die.

// copyFrom is one sender's copy of an entry's reference: its key, and
// the sender's pin to acknowledge (0: none).
type copyFrom struct {
	from link.Owner
	pin  uint64
	key  uint64
}

// maxAckBatch bounds the acknowledgements waiting for one sender; past
// it they are dropped, and the sender's pins end with time.
const maxAckBatch = 4096

// acker sends the acknowledgements owed to one sender, as a task of the
// worker pool.
type acker struct {
	slot
	t    *table
	to   link.Owner
	refs []gc.Passed
}

// ack queues an acknowledgement of e's copy with pin sent to from.
// t.mu is held.
func (t *table) ack(from link.Owner, e *entry, sent uint64) {
	a := t.ackers[from.Runtime]
	if a == nil {
		a = &acker{t: t, to: from}
		a.index = -1
		t.ackers[from.Runtime] = a
	}
	if len(a.refs) >= maxAckBatch {
		return
	}
	a.refs = append(a.refs, gc.Passed{Owner: e.ref.Runtime, Object: e.ref.Object, Pin: sent})
	t.wake(a)
}

// answered acknowledges e to every sender waiting for it: the owner has
// answered this runtime's claim, or it no longer matters. t.mu is held.
func (t *table) answered(e *entry) {
	for _, c := range e.copies {
		if c.pin != 0 {
			t.ack(c.from, e, c.pin)
		}
	}
	e.copies = nil
}

// refused handles the owner's refusal of e's claim made with key: the
// senders of copies with that key are told (their copies can never be
// claimed), and if another copy brought another key, e claims again with
// it and reports true. t.mu is held.
func (t *table) refused(o *owner, e *entry, key uint64) bool {
	next, found := uint64(0), false
	for id, c := range e.copies {
		switch {
		case c.key == key:
			if c.pin != 0 {
				t.ack(c.from, e, c.pin)
			}
			delete(e.copies, id)
		case !found:
			next, found = c.key, true
		}
	}
	if !found {
		return false
	}
	e.reclaim(next)
	t.wake(o)
	return true
}

// run sends one batch. A lost acknowledgement is not retried: the
// sender's pin then ends with its transit timeout, as for a receiver
// that died.
func (a *acker) waits() bool { return true }

func (a *acker) run(bool) bool {
	t := a.t
	t.mu.Lock()
	refs := a.refs
	a.refs = nil
	t.mu.Unlock()
	if len(refs) > 0 {
		ctx, cancel := context.WithTimeout(t.ctx, t.cfg.CallTimeout)
		err := t.send.Received(ctx, a.to, gc.Received{Refs: refs})
		cancel()
		if err != nil {
			t.cfg.Logger.Debug("objrmi: acknowledging references failed; the sender's pins will time out",
				"sender", a.to.Runtime, "refs", len(refs), "err", err)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(a.refs) == 0 && !a.again && t.ackers[a.to.Runtime] == a {
		delete(t.ackers, a.to.Runtime)
	}
	return false
}

var _ task = (*acker)(nil)
var _ task = (*owner)(nil)

package gc

import (
	"container/heap"
	"time"

	"github.com/google/uuid"
)

// Expiry. The table keeps one entry per holder record and one per
// object with in-transit pins in a min-heap keyed by the earliest time
// anything about it can change on its own: a lease's end, a remembered
// clean's end, a pin's end. Expire pops only what is due, so a check
// that finds nothing due costs nothing, however many runtimes hold
// leases: 10,000 holders renewing every half lease cost one heap step
// each per renewal period, not a walk of all of them every check
// interval.
//
// Entries are lazy about times that move later: a renewal pushes a
// lease's end forward without touching the heap, and the entry, when it
// comes due, finds the lease still current and goes back in at its new
// end. Times that move earlier (Drop) fix the heap at once. An entry
// leaves the heap with its record, so every entry names a live record.

// due is a record's place in the expiry heap.
type due struct {
	at    time.Time
	index int       // in the heap; -1 when not in it
	id    uuid.UUID // a holder's entry
	obj   uint64    // an object's entry (its pins), when pins is set
	pins  bool
}

type dueHeap []*due

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *dueHeap) Push(x any) {
	d := x.(*due)
	d.index = len(*h)
	*h = append(*h, d)
}
func (h *dueHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	d.index = -1
	return d
}

// schedule puts d in the heap at at, or moves it there if at is earlier
// than its place. t.mu is held.
func (t *Table) schedule(d *due, at time.Time) {
	switch {
	case d.index < 0:
		d.at = at
		heap.Push(&t.due, d)
	case at.Before(d.at):
		d.at = at
		heap.Fix(&t.due, d.index)
	}
}

// unschedule takes d out of the heap. t.mu is held.
func (t *Table) unschedule(d *due) {
	if d.index >= 0 {
		heap.Remove(&t.due, d.index)
	}
}

// Expire ends lapsed leases, in-transit windows and remembered cleans
// that are due. It returns the objects left unreferenced and the holders
// whose lease lapsed while they still held something.
func (t *Table) Expire() (events []Event, lapsed []uuid.UUID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	for len(t.due) > 0 && now.After(t.due[0].at) {
		d := heap.Pop(&t.due).(*due)
		if d.pins {
			events = t.expirePins(d.obj, now, events)
			continue
		}
		var lapsedNow bool
		events, lapsedNow = t.expireHolder(d.id, now, events)
		if lapsedNow {
			lapsed = append(lapsed, d.id)
		}
	}
	return events, lapsed
}

// expireHolder ends holder id's lease if it has run out, and forgets its
// record once its remembered clean has run out too; otherwise it goes
// back into the heap at whichever comes next. It reports whether a lease
// lapsed with something still held.
func (t *Table) expireHolder(id uuid.UUID, now time.Time, events []Event) ([]Event, bool) {
	h := t.holders[id]
	if !h.lapsed && !now.After(h.expires) {
		t.schedule(&h.due, h.expires) // renewed since it was queued
		return events, false
	}
	held := false
	if !h.lapsed {
		h.lapsed = true
		held = len(h.held) > 0
		for obj := range h.held {
			delete(h.held, obj)
			if o := t.objects[obj]; o != nil {
				delete(o.holders, id)
				events = t.settle(obj, o, Lapsed, events)
			}
		}
	}
	if now.After(h.floorUntil) {
		delete(t.holders, id)
	} else {
		t.schedule(&h.due, h.floorUntil)
	}
	return events, held
}

// expirePins ends obj's in-transit windows that have run out, and puts
// it back into the heap at the end of the next one.
func (t *Table) expirePins(obj uint64, now time.Time, events []Event) []Event {
	o := t.objects[obj]
	var next time.Time
	expired := false
	for to, p := range o.pins {
		if now.After(p.until) {
			delete(o.pins, to)
			expired = true
		} else if next.IsZero() || p.until.Before(next) {
			next = p.until
		}
	}
	if !next.IsZero() {
		t.schedule(&o.due, next)
	}
	if expired {
		events = t.settle(obj, o, Unclaimed, events)
	}
	return events
}

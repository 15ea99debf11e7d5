package gc

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Config times the owner's side. Both durations must be positive.
type Config struct {
	// Lease is how long a holder's references last after its last dirty.
	Lease time.Duration
	// Transit is how long a reference sent to a peer keeps its object
	// alive while the peer's dirty is on its way.
	Transit time.Duration
}

// Reason says why an object became unreferenced.
type Reason uint8

// Reasons, in the words "no such object" errors use.
const (
	Released     Reason = iota + 1 // its last holder released it
	Lapsed                         // its last holder's lease lapsed
	Unclaimed                      // it was sent but the receiver never claimed it
	Disconnected                   // its last holder, which listens on no port, stayed disconnected too long
	Closing                        // the owner runtime is closing
)

func (r Reason) String() string {
	switch r {
	case Released:
		return "its last holder released it"
	case Lapsed:
		return "its last lease lapsed"
	case Unclaimed:
		return "it was sent to a runtime that never claimed it"
	case Disconnected:
		return "its last holder listens on no port and stayed disconnected past its grace"
	case Closing:
		return "its runtime is closing"
	}
	return fmt.Sprintf("gc.Reason(%d)", r)
}

// Event reports that an object lost its last reference.
type Event struct {
	Object uint64
	Reason Reason
}

// Table is the owner's bookkeeping. The zero value is not usable; call
// NewTable.
type Table struct {
	cfg     Config
	mu      sync.Mutex
	objects map[uint64]*object
	holders map[uuid.UUID]*holder
	epoch   uint64 // the last holder epoch given out
	// due orders holder records, and objects with pins, by when they
	// next need the checker (expiry.go).
	due dueHeap
}

type object struct {
	collectable bool
	key         uint64 // proves a claim by one who was not sent the object; 0: any claim goes
	referenced  bool   // has had a holder or pin since it was last unreferenced
	holders     map[uuid.UUID]struct{}
	pins        map[uuid.UUID]pin // by receiver
	lastPin     uint64            // numbers this object's pins
	due         due               // in the expiry heap while it has pins
}

// pin is an in-transit window: the latest message that carried the object
// to one receiver, and until when it keeps the object alive.
type pin struct {
	num   uint64
	until time.Time
}

type holder struct {
	expires time.Time
	lapsed  bool // its lease ended; it holds nothing until it dirties again
	// epoch names this life of the record: a new one each time it is
	// created or revived from lapsed. A holder that renews with another
	// epoch missed the grant that started this one, so it is not Known.
	epoch uint64
	held  map[uint64]uint64 // object -> seq of the dirty that added it
	// floor is the highest sequence number of a strong clean, kept until
	// floorUntil (one lease): a dirty numbered at or below it was given up
	// by the holder before the clean was sent (a holder sends one message
	// at a time per owner, and numbers a clean before the dirty that
	// follows it), so its claims are stale and are not applied. One
	// number per holder, however many objects the cleans named.
	floor      uint64
	floorUntil time.Time
	gone       []uint64 // held objects forgotten since its last dirty
	due        due      // in the expiry heap for as long as the record lives
}

// NewTable returns an empty table.
func NewTable(cfg Config) *Table {
	return &Table{cfg: cfg, objects: make(map[uint64]*object), holders: make(map[uuid.UUID]*holder)}
}

// Lease is the lease the table grants.
func (t *Table) Lease() time.Duration { return t.cfg.Lease }

// Track starts reference counting for obj, or changes whether it is
// collectable. A collectable object is forgotten when it becomes
// unreferenced. key is the secret that references to obj carry: a
// runtime that neither holds obj nor was sent it (a pin) may claim it
// only with the key. Key 0 lets anyone claim it; the runtime always uses
// a random one.
func (t *Table) Track(obj uint64, collectable bool, key uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if o := t.objects[obj]; o != nil {
		o.collectable = collectable
		return
	}
	t.objects[obj] = &object{collectable: collectable, key: key, holders: make(map[uuid.UUID]struct{}), pins: make(map[uuid.UUID]pin),
		due: due{index: -1, obj: obj, pins: true}}
}

// Forget stops tracking obj, because it was unexported. Its holders'
// records go with it; no event is reported.
func (t *Table) Forget(obj uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.objects[obj]
	if o == nil {
		return
	}
	for h := range o.holders {
		if hd := t.holders[h]; hd != nil {
			delete(hd.held, obj)
			hd.gone = append(hd.gone, obj) // told at its next renewal
		}
	}
	delete(t.objects, obj)
	t.unschedule(&o.due)
}

// Pin keeps obj alive while a message carrying it travels to the runtime
// to, until the transit window ends or to's dirty claims the pin by its
// number. Only the latest pin for a receiver can be claimed: a dirty
// prompted by an earlier message (or by a third runtime) leaves a later
// message's pin in place, to expire. It returns the pin's number, or
// false if obj is not tracked (never, or no longer: collected).
func (t *Table) Pin(obj uint64, to uuid.UUID) (uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.objects[obj]
	if o == nil {
		return 0, false
	}
	o.lastPin++
	until := time.Now().Add(t.cfg.Transit)
	o.pins[to] = pin{num: o.lastPin, until: until}
	t.schedule(&o.due, until)
	o.referenced = true
	return o.lastPin, true
}

// Dirty applies a holder's dirty: it renews the holder's lease and adds
// the holder to each object of d that is tracked, unless a later clean of
// the same holder already got there. A claim is honoured only with proof
// that the holder was given the object: it holds it already, the owner
// sent it (a pin), or the claim carries the object's key. The objects it
// does not track come back in Missing without a reason (the caller knows
// why, and must not be asked while the table is locked), marked
// Unproven unless the holder is known to have had them; refused claims
// come back with RefusedReason, the same whether the object exists or not.
func (t *Table) Dirty(from uuid.UUID, d Dirty) Grant {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	h := t.holders[from]
	if h == nil {
		h = &holder{held: make(map[uint64]uint64), lapsed: true, due: due{index: -1, id: from}}
		t.holders[from] = h
	}
	if h.lapsed {
		// A new life: whoever renews with the previous epoch did not hear
		// this grant, and must claim all it holds again.
		t.epoch++
		h.epoch = t.epoch
	}
	// A holder whose lease lapsed lost its references even if its record
	// lives on for its floor: it must claim them again. So must a holder
	// that missed the grant that began this life of its record.
	g := Grant{Lease: t.cfg.Lease, Known: !h.lapsed && d.Epoch == h.epoch, Epoch: h.epoch}
	h.expires, h.lapsed = now.Add(t.cfg.Lease), false
	t.schedule(&h.due, h.expires)
	stale := d.Seq <= h.floor
	for i, obj := range d.Objects {
		o := t.objects[obj]
		_, had := h.held[obj]
		if o == nil {
			g.Missing = append(g.Missing, Missing{Object: obj, unproven: !had && !stale})
			continue
		}
		_, pinned := o.pins[from]
		keyed := o.key == 0 || i < len(d.Keys) && d.Keys[i] == o.key
		if !had && !pinned && !keyed {
			g.Missing = append(g.Missing, Missing{Object: obj, Reason: RefusedReason(obj)})
			continue
		}
		o.claim(from, d.Pins, i)
		if stale || h.after(obj, d.Seq) {
			continue // a later message of this holder was applied first
		}
		h.held[obj] = d.Seq
		o.holders[from] = struct{}{}
		o.referenced = true
	}
	for _, obj := range h.gone {
		g.Missing = append(g.Missing, Missing{Object: obj})
	}
	h.gone = nil
	return g
}

// RefusedReason is what a claim without proof is told: the same words
// whether or not the object exists, so guessing numbers teaches nothing.
func RefusedReason(obj uint64) string {
	return fmt.Sprintf("object %d is not exported by this runtime, or this reference to it is not valid", obj)
}

// after reports whether h has applied a message for obj with a sequence
// number at or past seq.
func (h *holder) after(obj, seq uint64) bool {
	s, ok := h.held[obj]
	return ok && s >= seq
}

// Clean applies a holder's clean and returns the objects it left
// unreferenced. A strong clean raises the holder's floor, so that a dirty
// it gave up before the clean can no longer add anything; that costs one
// number per holder, kept for one lease, whatever the clean lists.
func (t *Table) Clean(from uuid.UUID, c Clean) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	h := t.holders[from]
	if h == nil && c.Strong {
		// The holder's lease lapsed, but its failed dirty may still come:
		// remember the clean for one lease.
		h = &holder{expires: now, lapsed: true, held: make(map[uint64]uint64), due: due{index: -1, id: from}}
		t.holders[from] = h
	}
	if h != nil && c.Strong {
		h.floor = max(h.floor, c.Seq)
		h.floorUntil = now.Add(t.cfg.Lease)
		t.schedule(&h.due, h.floorUntil)
	}
	var events []Event
	for i, obj := range c.Objects {
		o := t.objects[obj]
		if o != nil {
			o.claim(from, c.Pins, i)
		}
		if h != nil && !h.after(obj, c.Seq) {
			delete(h.held, obj)
			if o != nil {
				delete(o.holders, from)
			}
		}
		if o != nil {
			events = t.settle(obj, o, Released, events)
		}
	}
	return events
}

// claim ends from's pin on o if pins[i] names it: only the message that
// made the latest pin can end it.
func (o *object) claim(from uuid.UUID, pins []uint64, i int) {
	if i < len(pins) && pins[i] != 0 && o.pins[from].num == pins[i] {
		delete(o.pins, from)
	}
}

// settle reports obj if it has just lost its last reference, and forgets
// it if it is collectable. Called with t.mu held.
func (t *Table) settle(obj uint64, o *object, why Reason, events []Event) []Event {
	if !o.referenced || len(o.holders) > 0 || len(o.pins) > 0 {
		return events
	}
	o.referenced = false
	if o.collectable {
		delete(t.objects, obj)
		t.unschedule(&o.due)
	}
	return append(events, Event{Object: obj, Reason: why})
}

// Drop ends holder's lease at once, as if it had lapsed, because it can
// no longer renew it: it listens on no port, and its connection has been
// gone for longer than its grace. It returns the objects left
// unreferenced. A holder that comes back later is not Known, and claims
// again what is still there.
func (t *Table) Drop(holder uuid.UUID) []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.holders[holder]
	if h == nil || h.lapsed {
		return nil
	}
	h.lapsed, h.expires = true, time.Now()
	t.schedule(&h.due, h.expires) // its record may go at the next check
	var events []Event
	for obj := range h.held {
		delete(h.held, obj)
		if o := t.objects[obj]; o != nil {
			delete(o.holders, holder)
			events = t.settle(obj, o, Disconnected, events)
		}
	}
	return events
}

// Referenced lists the objects that some runtime holds or that are on
// their way to one, for the runtime to tell them it is closing.
func (t *Table) Referenced() []uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []uint64
	for obj, o := range t.objects {
		if len(o.holders) > 0 || len(o.pins) > 0 {
			out = append(out, obj)
		}
	}
	return out
}

// Knows reports whether holder has a lease here, or a clean remembered:
// state that only that runtime may change.
func (t *Table) Knows(holder uuid.UUID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.holders[holder]
	return ok
}

// Holder is one runtime holding an object, and when its lease ends.
type Holder struct {
	Runtime uuid.UUID
	Expires time.Time
}

// Object describes one tracked object.
type Object struct {
	Collectable bool
	Holders     []Holder // sorted by runtime id
	InTransit   int      // receivers whose dirty has not arrived yet
}

// Inspect describes obj, or reports false if it is not tracked.
func (t *Table) Inspect(obj uint64) (Object, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.objects[obj]
	if o == nil {
		return Object{}, false
	}
	info := Object{Collectable: o.collectable, InTransit: len(o.pins)}
	for id := range o.holders {
		info.Holders = append(info.Holders, Holder{Runtime: id, Expires: t.holders[id].expires})
	}
	slices.SortFunc(info.Holders, func(a, b Holder) int { return slices.Compare(a.Runtime[:], b.Runtime[:]) })
	return info, true
}

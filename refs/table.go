package refs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

func init() {
	link.NewHolders = func(cfg link.HoldersConfig, s link.Sender) link.Holders { return newTable(cfg, s) }
}

// withDefaults fills in c's zero fields.
func withDefaults(c link.HoldersConfig) link.HoldersConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Transit, 30*time.Second)
	def(&c.CallTimeout, 10*time.Second)
	def(&c.MinBackoff, 100*time.Millisecond)
	def(&c.MaxBackoff, 10*time.Second)
	def(&c.Lease, 30*time.Second)
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	defInt(&c.MaxCleans, 5)
	defInt(&c.Workers, 8)
	defInt(&c.MaxRefs, 1<<18)
	defInt(&c.MaxRefsPerPeer, 1<<14)
	defInt(&c.MaxOwners, 4096)
	defInt(&c.MaxOwnersPerPeer, 256)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// table holds the references of one runtime.
type table struct {
	cfg  link.HoldersConfig
	send link.Sender
	// seq numbers every dirty and clean this runtime sends, across owners
	// and across the owner goroutines' lives, so it never repeats.
	seq atomic.Uint64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	pinSeq uint64 // numbers the pins of sent copies
	owners map[uuid.UUID]*owner
	ackers map[uuid.UUID]*acker // senders owed a Received, by runtime

	// Scheduling (sched.go).
	work               *sync.Cond // on mu: a task is ready, or the table closed
	answering, waiting []task     // ready to run (see slot.waits)
	timers             timerHeap
	resched            chan struct{} // the heap's earliest wake-up changed
	ticking            bool          // the scheduler goroutine runs
	workers, idle      int           // started workers; those waiting for work
	blocked            int           // workers waiting for a task's I/O
	exchanges          int           // exchange goroutines in flight
	nrefs, nowners     int           // held in all
	byPeer             map[uuid.UUID]*introduced
}

// introduced counts what one peer made this runtime hold.
type introduced struct{ refs, owners int }

type state uint8

const (
	fresh   state = iota // no dirty sent yet
	held                 // the owner acknowledged a dirty
	unsure               // a dirty failed after it may have arrived
	missing              // the owner says the object is gone
)

type entry struct {
	ref      wire.Ref
	stubs    int
	pinUntil time.Time // pins past maxPins, which only time ends
	// pins are the in-transit windows of copies this runtime sent to
	// third runtimes, by receiver: each ends when its receiver
	// acknowledges (Acked) or at its time.
	pins   map[uuid.UUID]sentPin
	state  state
	reason string    // why the owner says it is missing
	pin    uint64    // the owner's in-transit pin that the next dirty claims
	by     uuid.UUID // the peer that introduced it, counted in byPeer; Nil for none
	// copies are the copies of the reference that arrived while it was
	// claimed or after the owner refused it, one per sender (the latest):
	// their keys are tried in turn if the owner refuses the claim's, and
	// their senders wait to hear that a claim was answered (Received).
	copies map[uuid.UUID]copyFrom

	lostErr error                   // why the reference is known lost
	lapsed  bool                    // lost for want of a renewal: the owner may answer again
	watch   context.Context         // made by Watch; cancelled with lostErr
	lose    context.CancelCauseFunc // cancels watch
	acked   chan struct{}           // made by Confirm; closed when the owner answers
}

// markLost records that the reference is gone or its lease lapsed, once.
func (e *entry) markLost(err error) {
	if e.lostErr != nil {
		return
	}
	e.lostErr = err
	if e.lose != nil {
		e.lose(err)
	}
	e.settle()
}

// reclaim makes a refused entry claim again with key: it is no longer
// known lost. Contexts already handed out stay done.
func (e *entry) reclaim(key uint64) {
	e.ref.Key, e.state, e.reason = key, fresh, ""
	e.lostErr, e.lapsed, e.watch, e.lose = nil, false, nil, nil
}

// recovered forgets a lapse once the owner answers again: later Watch
// and Confirm calls see the reference as held. Contexts already handed
// out stay done: what they reported did happen.
func (e *entry) recovered() {
	if e.lapsed {
		e.lostErr, e.lapsed, e.watch, e.lose = nil, false, nil, nil
	}
}

// settle wakes those waiting in Confirm.
func (e *entry) settle() {
	if e.acked != nil {
		close(e.acked)
		e.acked = nil
	}
}

// sentPin is one receiver's in-transit window.
type sentPin struct {
	num   uint64
	until time.Time
}

// maxPins bounds the receivers an entry tracks one by one; copies sent
// to more fall back to one shared window that only time ends.
const maxPins = 256

// maxCopies bounds the senders whose copies an entry remembers; past it
// their keys are not tried and their pins end with time. One peer takes
// one place, whatever it sends, so a forged key from one peer cannot
// crowd out another peer's good one; it would take maxCopies peers with
// forged copies arriving within one claim.
const maxCopies = 16

// live reports whether a stub or an unexpired pin holds e, pruning the
// pins that ended.
func (e *entry) live(now time.Time) bool {
	for to, p := range e.pins {
		if !now.Before(p.until) {
			delete(e.pins, to)
		}
	}
	return e.stubs > 0 || len(e.pins) > 0 || now.Before(e.pinUntil)
}

// pinEnd is when the last pin of e ends.
func (e *entry) pinEnd() time.Time {
	end := e.pinUntil
	for _, p := range e.pins {
		if p.until.After(end) {
			end = p.until
		}
	}
	return end
}

// New returns an empty table that sends through s. Close stops it.
func newTable(cfg link.HoldersConfig, s link.Sender) *table {
	t := &table{cfg: withDefaults(cfg), send: s, owners: make(map[uuid.UUID]*owner),
		ackers: make(map[uuid.UUID]*acker), byPeer: make(map[uuid.UUID]*introduced),
		resched: make(chan struct{}, 1)}
	t.work = sync.NewCond(&t.mu)
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// Hold counts one more stub for ref and returns the function that
// releases it; calling that more than once is harmless. It is for
// references this runtime's own code asked for: no limit applies.
func (t *table) Hold(ref wire.Ref) (release func()) {
	release, _ = t.hold(ref, link.Owner{}, 0)
	return release
}

// HoldFrom is Hold for a reference that the peer from sent this runtime.
// It counts against from's limits (Config.MaxRefsPerPeer,
// MaxOwnersPerPeer) and the table's, and fails with objerr.ErrLimit,
// holding nothing, if one is reached. If from is not ref's owner, sent
// is from's own in-transit pin for the copy: from is told (Received) once
// the owner has answered this runtime's claim, so its pin can end.
func (t *table) HoldFrom(ref wire.Ref, from link.Owner, sent uint64) (release func(), err error) {
	return t.hold(ref, from, sent)
}

func (t *table) hold(ref wire.Ref, from link.Owner, sent uint64) (func(), error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return func() {}, nil
	}
	o := t.owners[ref.Runtime]
	var e *entry
	if o != nil {
		e = o.entries[ref.Object]
	}
	if err := t.admit(o == nil, e == nil, from.Runtime); err != nil {
		return nil, err
	}
	if o == nil {
		o = &owner{t: t, Owner: link.Owner{Runtime: ref.Runtime, Endpoint: ref.Endpoint, TLS: ref.TLS}, entries: make(map[uint64]*entry),
			since: time.Now(), by: from.Runtime}
		o.index = -1
		t.owners[ref.Runtime] = o
		t.count(from.Runtime, 0, 1)
	}
	if o.Endpoint == "" {
		o.Endpoint, o.TLS = ref.Endpoint, ref.TLS
	}
	if e == nil {
		e = &entry{ref: ref, by: from.Runtime}
		e.ref.Pin = 0
		o.entries[ref.Object] = e
		t.count(from.Runtime, 1, 0)
		t.wake(o)
	}
	if e.state == missing && ref.Key != e.ref.Key {
		// The owner refused the key this entry claimed with, or said the
		// object is gone: a copy with another key may be the good one
		// (the first was forged, or built by hand), so claim again.
		e.reclaim(ref.Key)
		t.wake(o)
	}
	if e.state == fresh && ref.Pin != 0 {
		e.pin = ref.Pin // the dirty to come claims the owner's latest pin
	}
	if from.Runtime == ref.Runtime || from.Runtime == uuid.Nil {
		sent = 0 // the owner's pin, claimed by the dirty; or no sender to tell
	}
	switch {
	case e.state == held || e.state == missing && ref.Key == e.ref.Key:
		// Held: the sender may let go now. Refused with this very key:
		// its copy can never be claimed.
		if sent != 0 {
			t.ack(from, e, sent)
		}
	case ref.Key != e.ref.Key || sent != 0:
		// Claiming: its key is tried if the owner refuses the one being
		// claimed with, and its sender is told once a claim is granted.
		if _, ok := e.copies[from.Runtime]; ok || len(e.copies) < maxCopies {
			if e.copies == nil {
				e.copies = make(map[uuid.UUID]copyFrom)
			}
			e.copies[from.Runtime] = copyFrom{from: from, pin: sent, key: ref.Key}
		}
	}
	e.stubs++
	var once atomic.Bool
	return func() {
		if once.Swap(true) {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if e.stubs--; e.stubs == 0 {
			t.wake(o)
		}
	}, nil
}

// admit checks the limits for a new owner and/or a new entry that peer
// introduces. t.mu is held.
func (t *table) admit(newOwner, newEntry bool, peer uuid.UUID) error {
	if peer == uuid.Nil {
		return nil
	}
	pc := t.byPeer[peer]
	var refs, owners int
	if pc != nil {
		refs, owners = pc.refs, pc.owners
	}
	limit := func(what string, n int, opt string) error {
		return limitError(fmt.Sprintf("a reference from runtime %s would exceed the %d %s (Options.%s)", peer, n, what, opt))
	}
	switch {
	case newOwner && owners >= t.cfg.MaxOwnersPerPeer:
		return limit("owner runtimes one peer may introduce", t.cfg.MaxOwnersPerPeer, "MaxOwnersPerPeer")
	case newOwner && t.nowners >= t.cfg.MaxOwners:
		return limit("owner runtimes this runtime holds references of", t.cfg.MaxOwners, "MaxOwners")
	case newEntry && refs >= t.cfg.MaxRefsPerPeer:
		return limit("references one peer may introduce", t.cfg.MaxRefsPerPeer, "MaxRefsPerPeer")
	case newEntry && t.nrefs >= t.cfg.MaxRefs:
		return limit("references this runtime holds", t.cfg.MaxRefs, "MaxRefs")
	}
	return nil
}

// limitError is a reference refused for a bound. It matches
// objerr.ErrLimit, and reads as what was refused and why alone: it ends
// up inside the refused call's error, which already says "limit
// exceeded".
type limitError string

func (e limitError) Error() string        { return string(e) }
func (e limitError) Is(target error) bool { return target == objerr.ErrLimit }

// count adds to what peer introduced, and to the totals. t.mu is held.
func (t *table) count(peer uuid.UUID, refs, owners int) {
	t.nrefs += refs
	t.nowners += owners
	if peer == uuid.Nil {
		return
	}
	pc := t.byPeer[peer]
	if pc == nil {
		pc = &introduced{}
		t.byPeer[peer] = pc
	}
	pc.refs += refs
	pc.owners += owners
	if pc.refs == 0 && pc.owners == 0 {
		delete(t.byPeer, peer)
	}
}

// Pin keeps ref held for the transit window, because this runtime is
// sending it to the runtime to, whose dirty has yet to reach the owner.
// It returns the pin's number, which to acknowledges (Acked) to end the
// window early, or 0 if ref is not held here or to cannot be told apart
// (the window then only ends with time).
func (t *table) Pin(ref wire.Ref, to uuid.UUID) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.owners[ref.Runtime]
	if o == nil {
		return 0
	}
	e := o.entries[ref.Object]
	if e == nil {
		return 0
	}
	until := time.Now().Add(t.cfg.Transit)
	if _, ok := e.pins[to]; to == uuid.Nil || !ok && len(e.pins) >= maxPins {
		e.pinUntil = until
		return 0
	}
	if e.pins == nil {
		e.pins = make(map[uuid.UUID]sentPin)
	}
	t.pinSeq++
	e.pins[to] = sentPin{num: t.pinSeq, until: until}
	return t.pinSeq
}

// Acked ends the in-transit pins that this runtime made for the runtime
// from, as from asks once the owner answered its own claim. Only a pin
// made for from, and only the latest one (by number), ends: a copy sent
// to from after the one it acknowledges stays pinned. It costs nothing
// but lookups, whatever from lists.
func (t *table) Acked(from uuid.UUID, refs []gc.Passed) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range refs {
		o := t.owners[r.Owner]
		if o == nil {
			continue
		}
		e := o.entries[r.Object]
		if e == nil {
			continue
		}
		if p, ok := e.pins[from]; ok && p.num == r.Pin {
			delete(e.pins, from)
			t.wake(o) // it may be unheld now: clean it at once
		}
	}
}

// Watch returns a context that is cancelled once ref is known lost: its
// owner said the object is gone or restarted (the cause matches
// objerr.ErrNoSuchObject), or the owner could not be reached before this
// runtime's lease ran out (objerr.ErrLeaseLapsed), or ref was released
// (objerr.ErrReleased). A lapsed reference is still claimed again if its
// owner comes back: the context handed out stays done, and Watch then
// returns a new one.
func (t *table) Watch(ref wire.Ref) context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.find(ref)
	if e == nil {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(notHeld(ref))
		return ctx
	}
	if e.watch == nil {
		e.watch, e.lose = context.WithCancelCause(context.Background())
		if e.lostErr != nil {
			e.lose(e.lostErr)
		}
	}
	return e.watch
}

// Confirm waits until ref's owner has acknowledged this runtime's hold,
// and returns why not if the owner says the object is gone, the lease
// lapsed, or ctx ended first.
func (t *table) Confirm(ctx context.Context, ref wire.Ref) error {
	for {
		t.mu.Lock()
		e := t.find(ref)
		switch {
		case e == nil:
			t.mu.Unlock()
			return notHeld(ref)
		case e.lostErr != nil:
			err := e.lostErr
			t.mu.Unlock()
			return err
		case e.state == held:
			t.mu.Unlock()
			return nil
		}
		if e.acked == nil {
			e.acked = make(chan struct{})
		}
		acked := e.acked
		t.mu.Unlock()
		select {
		case <-acked:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

func (t *table) find(ref wire.Ref) *entry {
	if o := t.owners[ref.Runtime]; o != nil {
		return o.entries[ref.Object]
	}
	return nil
}

func notHeld(ref wire.Ref) error {
	return fmt.Errorf("%w: %s is not held by this runtime", objerr.ErrReleased, ref)
}

// Close stops every owner goroutine and waits for them. It sends no
// cleans itself: ReleaseAll does, first, for a runtime closing cleanly.
func (t *table) Close() {
	t.mu.Lock()
	t.closed = true
	t.work.Broadcast()
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
}

// Snapshot lists the held references, ordered by owner and object.
func (t *table) Snapshot() []link.Held {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []link.Held
	for _, o := range t.owners {
		for _, e := range o.entries {
			st := [...]string{fresh: "claiming", held: "held", unsure: "retrying", missing: "gone: "}[e.state]
			if e.state == missing {
				why := e.reason
				if why == "" {
					why = "the owner gave no reason"
				}
				st += why
			}
			out = append(out, link.Held{Ref: e.ref, Stubs: e.stubs, State: st})
		}
	}
	slices.SortFunc(out, func(a, b link.Held) int {
		if c := slices.Compare(a.Ref.Runtime[:], b.Ref.Runtime[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.Ref.Object, b.Ref.Object)
	})
	return out
}

// notSent reports whether err proves the message never left.
func notSent(err error) bool { return errors.Is(err, objerr.ErrNotSent) }

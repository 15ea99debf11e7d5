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
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Owner names the runtime that owns some of the held references.
type Owner struct {
	Runtime  uuid.UUID
	Endpoint string
	TLS      bool // the endpoint speaks only TLS
}

// Sender delivers dirty and clean messages to an owner's DGC object.
type Sender interface {
	Dirty(ctx context.Context, to Owner, d gc.Dirty) (gc.Grant, error)
	Clean(ctx context.Context, to Owner, c gc.Clean) error
}

// Config times the holder's side. Zero fields take defaults.
type Config struct {
	Transit     time.Duration // how long a sent reference stays pinned; default 30 s
	CallTimeout time.Duration // bound on one dirty or clean; default 10 s
	MinBackoff  time.Duration // first retry of a failed message; default 100 ms
	MaxBackoff  time.Duration // cap on retry delays; default 10 s
	MaxCleans   int           // attempts at one clean before the lease is left to lapse; default 5
	// Lease is assumed for an owner that has never granted one: a
	// reference it has not acknowledged within it is given up as lost.
	// Default 30 s.
	Lease  time.Duration
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
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
	if c.MaxCleans <= 0 {
		c.MaxCleans = 5
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Table holds the references of one runtime.
type Table struct {
	cfg  Config
	send Sender
	// seq numbers every dirty and clean this runtime sends, across owners
	// and across the owner goroutines' lives, so it never repeats.
	seq atomic.Uint64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	owners map[uuid.UUID]*owner
}

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
	pinUntil time.Time
	state    state
	reason   string // why the owner says it is missing
	pin      uint64 // the owner's in-transit pin that the next dirty claims

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

func (e *entry) live(now time.Time) bool { return e.stubs > 0 || now.Before(e.pinUntil) }

// New returns an empty table that sends through s. Close stops it.
func New(cfg Config, s Sender) *Table {
	t := &Table{cfg: cfg.withDefaults(), send: s, owners: make(map[uuid.UUID]*owner)}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// Hold counts one more stub for ref and returns the function that
// releases it; calling that more than once is harmless.
func (t *Table) Hold(ref wire.Ref) (release func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return func() {}
	}
	o := t.owners[ref.Runtime]
	if o == nil {
		o = &owner{t: t, Owner: Owner{ref.Runtime, ref.Endpoint, ref.TLS}, entries: make(map[uint64]*entry),
			kick: make(chan struct{}, 1), since: time.Now()}
		t.owners[ref.Runtime] = o
		t.wg.Add(1)
		go o.loop()
	}
	if o.Endpoint == "" {
		o.Endpoint, o.TLS = ref.Endpoint, ref.TLS
	}
	e := o.entries[ref.Object]
	if e == nil {
		e = &entry{ref: ref}
		e.ref.Pin = 0
		o.entries[ref.Object] = e
		o.wake()
	}
	if e.state == fresh && ref.Pin != 0 {
		e.pin = ref.Pin // the dirty to come claims the owner's latest pin
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
			o.wake()
		}
	}
}

// Pin keeps ref held for the transit window, because this runtime is
// sending it to another runtime whose dirty has yet to reach the owner.
func (t *Table) Pin(ref wire.Ref) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if o := t.owners[ref.Runtime]; o != nil {
		if e := o.entries[ref.Object]; e != nil {
			e.pinUntil = time.Now().Add(t.cfg.Transit)
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
func (t *Table) Watch(ref wire.Ref) context.Context {
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
func (t *Table) Confirm(ctx context.Context, ref wire.Ref) error {
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

func (t *Table) find(ref wire.Ref) *entry {
	if o := t.owners[ref.Runtime]; o != nil {
		return o.entries[ref.Object]
	}
	return nil
}

func notHeld(ref wire.Ref) error {
	return fmt.Errorf("%w: %s is not held by this runtime", objerr.ErrReleased, ref)
}

// Close stops every owner goroutine and waits for them. Held references
// are not cleaned: their owners' leases lapse.
func (t *Table) Close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
}

// Held describes one reference this runtime holds.
type Held struct {
	Ref   wire.Ref
	Stubs int    // live stubs; 0 while only a transit pin holds it
	State string // "claiming", "held", "retrying", or "gone: <why>"
}

// Snapshot lists the held references, ordered by owner and object.
func (t *Table) Snapshot() []Held {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Held
	for _, o := range t.owners {
		for _, e := range o.entries {
			st := [...]string{fresh: "claiming", held: "held", unsure: "retrying", missing: "gone: "}[e.state]
			if e.state == missing {
				st += e.reason
			}
			out = append(out, Held{Ref: e.ref, Stubs: e.stubs, State: st})
		}
	}
	slices.SortFunc(out, func(a, b Held) int {
		if c := slices.Compare(a.Ref.Runtime[:], b.Ref.Runtime[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.Ref.Object, b.Ref.Object)
	})
	return out
}

// notSent reports whether err proves the message never left.
func notSent(err error) bool { return errors.Is(err, objerr.ErrNotSent) }

package remote

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Unreferenced is implemented by exported objects that want to know when
// no other runtime holds a reference to them any more: the last holder
// released it, or its lease lapsed. It is called once each time that
// happens, on its own goroutine, with no lock held.
type Unreferenced interface {
	Unreferenced()
}

// UnreferencedBecause is implemented by exported objects that want to
// know why no other runtime holds them any more. An object that
// implements it gets this call instead of Unreferenced, with why one of:
//   - gc.Released: its last holder released it;
//   - gc.Lapsed: its last holder's lease lapsed (the holder died, or was
//     cut off for a whole lease);
//   - gc.Unclaimed: it was sent to a runtime that never claimed it;
//   - gc.Disconnected: its last holder listens on no port and stayed
//     disconnected longer than Options.HolderGrace;
//   - gc.Closing: this runtime is closing while it is still held (only
//     objects that implement UnreferencedBecause hear of this one).
//
// It is called on its own goroutine, with no lock held.
type UnreferencedBecause interface {
	UnreferencedBecause(why gc.Reason)
}

var (
	dgcIface    = mustIface[gc.Service]()
	dgcDirty    = dgcIface.ByName("Dirty").Index
	dgcClean    = dgcIface.ByName("Clean").Index
	dgcReceived = dgcIface.ByName("Received").Index
	dgcInspect  = dgcIface.ByName("Inspect").Index
)

func mustIface[T any]() *iface.Interface {
	it, err := iface.For[T]()
	if err != nil {
		panic(err)
	}
	return it
}

// dgcStats counts the DGC messages this runtime has received as an owner.
type dgcStats struct {
	dirty, clean atomic.Uint64
}

// dgcService is the runtime's DGC object, at the reserved id.
type dgcService struct{ rt *Runtime }

var errNoCaller = errors.New("objrmi: DGC messages must come from a remote runtime")

func (s *dgcService) Dirty(ctx context.Context, d gc.Dirty) (gc.Grant, error) {
	from, ok := Caller(ctx)
	if !ok {
		return gc.Grant{}, errNoCaller
	}
	s.rt.dgcStats.dirty.Add(1)
	g := s.rt.dgc.Dirty(from, d)
	if !g.Known {
		s.rt.note(Event{Kind: EventLeaseGranted, Peer: from, Detail: fmt.Sprintf("%d objects", len(d.Objects))})
	}
	var keys map[uint64]uint64 // the keys of d, for claims the table could not prove
	for i, m := range g.Missing {
		if m.Reason != "" {
			continue // refused
		}
		if m.Unproven() {
			if keys == nil {
				keys = make(map[uint64]uint64, len(d.Objects))
				for j, obj := range d.Objects {
					if j < len(d.Keys) {
						keys[obj] = d.Keys[j]
					}
				}
			}
			if k := s.rt.exports.keyOf(m.Object); k == 0 || k != keys[m.Object] {
				g.Missing[i].Reason = gc.RefusedReason(m.Object)
				continue
			}
		}
		if _, why := s.rt.exports.lookup(m.Object); why != "" {
			g.Missing[i].Reason = why
		} else {
			g.Missing[i].Reason = fmt.Sprintf("object %d is gone: it is being collected", m.Object)
		}
	}
	return g, nil
}

// Received ends the in-transit pins this runtime made for the caller.
func (s *dgcService) Received(ctx context.Context, r gc.Received) error {
	from, ok := Caller(ctx)
	if !ok {
		return errNoCaller
	}
	s.rt.held.Acked(from, r.Refs)
	return nil
}

func (s *dgcService) Clean(ctx context.Context, c gc.Clean) error {
	from, ok := Caller(ctx)
	if !ok {
		return errNoCaller
	}
	s.rt.dgcStats.clean.Add(1)
	s.rt.unreferenced(s.rt.dgc.Clean(from, c))
	return nil
}

func (s *dgcService) Inspect(ctx context.Context, obj uint64) (gc.Object, error) {
	return s.rt.holders(obj)
}

func (rt *Runtime) holders(obj uint64) (gc.Object, error) {
	if o, ok := rt.dgc.Inspect(obj); ok {
		return o, nil
	}
	if _, why := rt.exports.lookup(obj); why != "" {
		return gc.Object{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject, Reason: why}
	}
	return gc.Object{}, nil
}

// dgcSender sends this runtime's dirty and clean messages to owners.
type dgcSender struct{ rt *Runtime }

func (s dgcSender) service(to link.Owner) link.Stub {
	return dgcOf(s.rt, wire.Ref{Runtime: to.Runtime, Endpoint: to.Endpoint, TLS: to.TLS})
}

// dgcOf is a stub for the DGC object of the runtime that owns ref.
func dgcOf(rt *Runtime, ref wire.Ref) link.Stub {
	return link.RawStub(dgcIface, wire.Ref{Runtime: ref.Runtime, Endpoint: ref.Endpoint, TLS: ref.TLS,
		Object: reservedDGC, Iface: dgcIface.Name}, stubRuntime{rt})
}

func (s dgcSender) Dirty(ctx context.Context, to link.Owner, d gc.Dirty) (gc.Grant, error) {
	var g gc.Grant
	err := s.service(to).Invoke(ctx, dgcDirty, []any{d}, []any{&g})
	return g, err
}

func (s dgcSender) Clean(ctx context.Context, to link.Owner, c gc.Clean) error {
	return s.service(to).Invoke(ctx, dgcClean, []any{c}, nil)
}

func (s dgcSender) Received(ctx context.Context, to link.Owner, r gc.Received) error {
	return s.service(to).Invoke(ctx, dgcReceived, []any{r}, nil)
}

// checkLeases is the runtime's checker: it ends lapsed leases and
// in-transit windows, and orphans the calls of callers that are gone.
func (rt *Runtime) checkLeases() {
	defer rt.wg.Done()
	tick := time.NewTicker(rt.opts.LeaseCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-rt.closing:
			return
		case now := <-tick.C:
			events, lapsed := rt.dgc.Expire()
			rt.unreferenced(events)
			for _, peer := range lapsed {
				rt.note(Event{Kind: EventLeaseLapsed, Peer: peer})
				rt.orphan(peer, fmt.Errorf("%w: the lease of runtime %s lapsed", objerr.ErrOrphaned, peer))
				rt.ft.records.lapsed(peer)
			}
			rt.ft.records.expire(now)
			rt.orphanLost(now)
			rt.dropDisconnected(now)
			rt.sweepClaims()
		}
	}
}

// unreferenced acts on objects that lost their last reference: a
// collectable one is unexported, and each gets its Unreferenced call.
func (rt *Runtime) unreferenced(events []gc.Event) {
	for _, ev := range events {
		e := rt.exports.get(ev.Object)
		if e == nil {
			continue
		}
		if e.collectable {
			rt.exports.remove(ev.Object, e, "it was collected: "+ev.Reason.String())
		}
		rt.log.Debug("objrmi: object unreferenced", "object", ev.Object, "why", ev.Reason.String(), "collected", e.collectable)
		rt.note(Event{Kind: EventUnreferenced, Object: ev.Object, Detail: ev.Reason.String()})
		rt.tellUnreferenced(ev, e.skel.Object(), false)
	}
}

// tellUnreferenced calls obj's UnreferencedBecause, or its Unreferenced
// unless only a reason-aware object is to hear of ev, on a goroutine of
// its own counted for Shutdown.
func (rt *Runtime) tellUnreferenced(ev gc.Event, obj any, reasonOnly bool) {
	var call func()
	switch u := obj.(type) {
	case UnreferencedBecause:
		call = func() { u.UnreferencedBecause(ev.Reason) }
	case Unreferenced:
		if reasonOnly {
			return
		}
		call = u.Unreferenced
	default:
		return
	}
	rt.user.add()
	go func() {
		defer rt.user.done()
		defer func() {
			if r := recover(); r != nil {
				rt.log.Error("objrmi: Unreferenced panicked", "object", ev.Object, "panic", r)
			}
		}()
		call()
	}()
}

// closingUnreferenced tells the objects that are still held, and want to
// know why, that their runtime is closing: no holder will reach them again.
func (rt *Runtime) closingUnreferenced() {
	for _, obj := range rt.dgc.Referenced() {
		if e := rt.exports.get(obj); e != nil {
			rt.tellUnreferenced(gc.Event{Object: obj, Reason: gc.Closing}, e.skel.Object(), true)
		}
	}
}

// dropDisconnected ends the leases of holders that listen on no port and
// have been disconnected for longer than HolderGrace: they can neither be
// called back nor renew without dialling again, so their objects need not
// wait for a whole lease.
func (rt *Runtime) dropDisconnected(now time.Time) {
	t := &rt.sessions
	var events []gc.Event
	t.mu.Lock()
	for peer, since := range t.gone {
		if now.Sub(since) >= rt.opts.HolderGrace {
			delete(t.gone, peer)
			// Under the sessions lock, so the holder cannot come back
			// (attach) between the check and the drop. gc takes no lock
			// of the runtime's.
			dropped := rt.dgc.Drop(peer)
			if len(dropped) > 0 {
				rt.note(Event{Kind: EventHolderDropped, Peer: peer, Detail: fmt.Sprintf("%d objects unreferenced", len(dropped))})
				rt.log.Info("objrmi: dropped the leases of a holder that listens on no port and stayed disconnected",
					"peer", peer, "grace", rt.opts.HolderGrace, "unreferenced", len(dropped))
			}
			events = append(events, dropped...)
		}
	}
	t.mu.Unlock()
	rt.unreferenced(events) // outside the lock: it starts user code
}

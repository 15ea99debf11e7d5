package registry

import (
	"context"
	"errors"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// SharedStore is a Store that several registries use at once (the etcd
// store of module github.com/objrmi/objrmi/etcdstore). A registry on
// one holds every binding in it, not only those made through itself, and
// leaves the decision that an unreachable owner is dead to the store:
//
//   - the store tells the registry of every change (Follow), and the
//     registry holds the new object and releases the old;
//   - the registry tells the store how long it holds each object (Hold),
//     so that the store can keep the bindings of owners that some
//     registry still reaches, and let the others expire;
//   - when an owner says an object is gone, or has restarted, the
//     registry removes the binding at once (DeleteIf), as on any store;
//     when an owner merely stops answering (objerr.ErrLeaseLapsed), it
//     removes nothing: another registry may still reach the owner.
type SharedStore interface {
	Store
	// Follow calls changed, from one goroutine of the store's, each time
	// the binding of a name may have been made, replaced or removed,
	// through any registry; until stop is called. changed may block.
	Follow(changed func(name string)) (stop func())
	// Cached returns the binding of name as this registry last saw it,
	// without asking the store; it reflects this registry's own writes
	// as soon as they return.
	Cached(name string) (Binding, bool)
	// Hold tells the store that this registry holds a lease on ref's
	// object until alive is done; context.Cause(alive) then says why (see
	// remote.Runtime.Watch), or is context.Canceled if the registry let
	// go.
	Hold(ref remote.Ref, alive context.Context)
}

// shared returns the store as a SharedStore, if it is one.
func (s *Server) shared() (SharedStore, bool) {
	ss, ok := s.opts.Store.(SharedStore)
	return ss, ok
}

// keepsLapsed says whether a binding whose object was lost for why stays
// in the store: on a shared store, a lapsed lease is this registry's
// view only, and the store's owner lease decides.
func (s *Server) keepsLapsed(why error) bool {
	_, ok := s.shared()
	return ok && errors.Is(why, objerr.ErrLeaseLapsed)
}

// follow brings the registry's hold on name in line with the binding
// the shared store has for it now: a binding made through another
// registry is held here too, and one removed or replaced elsewhere is
// released.
func (s *Server) follow(name string) {
	ss, _ := s.shared()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	b, bound := ss.Cached(name)
	cur := s.live[name]
	if bound && cur != nil && sameObject(cur.ref, b.Ref) {
		s.mu.Unlock()
		return
	}
	st, dropped := s.stale[name]
	if dropped && bound && sameObject(st, b.Ref) {
		s.mu.Unlock() // dropped here already; the store is told again at the next Lookup
		return
	}
	delete(s.stale, name)
	delete(s.live, name)
	if bound && b.Ref.Runtime != [16]byte{} {
		s.hold(name, b.Ref)
	}
	s.mu.Unlock()
	if cur != nil {
		cur.end()
	}
}

// taken says whether name is bound, so that Bind can refuse it before it
// asks the owner for a lease; the store's Create decides all the same.
// A shared store answers from its cache: the question is not worth a
// round trip to a store that may not answer.
func (s *Server) taken(ctx context.Context, name string) bool {
	if ss, ok := s.shared(); ok {
		_, bound := ss.Cached(name)
		return bound
	}
	_, err := s.opts.Store.Get(ctx, name)
	return err == nil
}

package remote

import (
	"context"
	"fmt"
	"reflect"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// peerRefs is the reference codec for messages exchanged with one peer
// runtime. Knowing the peer lets a reference on its way there be pinned
// for exactly that receiver.
type peerRefs struct {
	rt   *Runtime
	peer uuid.UUID
}

// EncodeRef turns a remote-interface value into a reference: a stub gives
// its own reference (so a third runtime can call the owner directly), and
// a local object is exported implicitly. Either way the reference stays
// alive while it travels: a local object is pinned until the peer claims
// it, a held one is pinned in this runtime's own table.
func (p *peerRefs) EncodeRef(v reflect.Value, it *iface.Interface) (wire.Ref, error) {
	rt := p.rt
	obj := v.Interface()
	if s, ok := link.StubOf(obj); ok {
		ref := s.Ref()
		if ref.Runtime != p.peer && ref.Runtime != rt.id {
			// Pinned here until the peer says the owner has answered its
			// own claim (refs.Table.Acked); the number travels in Pin,
			// which from any sender but the owner is the sender's own.
			ref.Pin = rt.held.Pin(ref, p.peer)
		}
		return ref, nil
	}
	// An export found in the table may have been collected just before
	// the pin: it is on its way out (the runtime removes it and calls its
	// Unreferenced), and a fresh export replaces it.
	for {
		num, err := rt.exports.add(it, obj, exportConfig{}, true)
		if err != nil {
			return wire.Ref{}, err
		}
		if num < FirstDynamicID {
			return rt.ref(num, it), nil
		}
		if pin, ok := rt.dgc.Pin(num, p.peer); ok {
			ref := rt.ref(num, it)
			ref.Pin = pin
			return ref, nil
		}
		rt.exports.unlist(num)
	}
}

// PassRef pins a remote.Ref value on its way to the peer, like EncodeRef
// pins a stub's or a local object's reference.
func (p *peerRefs) PassRef(r wire.Ref) (wire.Ref, error) {
	rt := p.rt
	r.Pin = 0
	switch {
	case r.Runtime == p.peer || r.Object < FirstDynamicID:
	case r.Runtime != rt.id:
		// A Ref value is not turned into a stub on arrival, so no one
		// acknowledges it: its pin ends with the transit window.
		rt.held.Pin(r, uuid.Nil)
	default:
		pin, ok := rt.dgc.Pin(r.Object, p.peer)
		if !ok {
			_, why := rt.exports.lookup(r.Object)
			if why == "" {
				why = fmt.Sprintf("object %d is being collected", r.Object)
			}
			return wire.Ref{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject,
				Reason: fmt.Sprintf("cannot pass %s: %s", r, why)}
		}
		r.Pin = pin
	}
	return r, nil
}

// DecodeRef turns a reference into a value of the interface. A stub for
// another runtime's object counts against the limits of the peer that
// sent it (Options.MaxRefsPerPeer and the rest), and, if that peer is not
// the owner, the peer is told once the owner has answered this runtime's
// claim, so that its own pin can end.
func (p *peerRefs) DecodeRef(r *wire.Ref, it *iface.Interface) (reflect.Value, error) {
	rt := p.rt
	if r.Runtime == rt.id || r.Runtime == uuid.Nil || r.Object < FirstDynamicID {
		return rt.decodeRef(r, it)
	}
	ref := *r
	var sent uint64
	if ref.Runtime != p.peer {
		sent, ref.Pin = ref.Pin, 0 // the sender's pin, not the owner's
	}
	release, err := rt.held.HoldFrom(ref, link.Owner{Runtime: p.peer}, sent)
	if err != nil {
		return reflect.Value{}, err
	}
	v, err := link.NewStub(it, ref, boundRuntime{stubRuntime{rt}, release})
	if err != nil {
		release()
	}
	return v, err
}

// boundRuntime is the runtime as a stub sees it when its hold was taken
// already (by DecodeRef, within the sender's limits).
type boundRuntime struct {
	stubRuntime
	release func()
}

func (b boundRuntime) Bind(ref wire.Ref) (codec.Refs, func()) {
	return &peerRefs{rt: b.Runtime, peer: ref.Runtime}, b.release
}

// decodeRef returns the object itself if it lives here, a stub otherwise.
func (rt *Runtime) decodeRef(r *wire.Ref, it *iface.Interface) (reflect.Value, error) {
	if r.Runtime != rt.id {
		return link.NewStub(it, *r, stubRuntime{rt})
	}
	e, why := rt.exports.lookup(r.Object)
	if e == nil {
		return reflect.Value{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject, Reason: why}
	}
	obj := reflect.ValueOf(e.skel.Object())
	if !obj.Type().Implements(it.Type) {
		return reflect.Value{}, fmt.Errorf("object %d (%s) does not implement %s", r.Object, obj.Type(), it.Type)
	}
	return obj, nil
}

// stubRuntime is the runtime as its stubs see it (link.StubRuntime): the
// plumbing stays off Runtime's own method set, which is for users.
type stubRuntime struct{ *Runtime }

var _ link.StubRuntime = stubRuntime{}

// Conn implements link.StubRuntime.
func (s stubRuntime) Conn(ctx context.Context, ref *wire.Ref) (*transport.Conn, error) {
	return s.conn(ctx, ref)
}

// Bind implements link.StubRuntime.
func (s stubRuntime) Bind(ref wire.Ref) (codec.Refs, func()) { return s.bind(ref) }

// bind binds a stub's codec to the owner of ref, and counts the stub as
// a holder of any reference at a dynamic id. Objects at well-known ids
// live as long as their runtime and are not counted.
func (rt *Runtime) bind(ref wire.Ref) (codec.Refs, func()) {
	refs := &peerRefs{rt: rt, peer: ref.Runtime}
	if ref.Object < FirstDynamicID || ref.Runtime == rt.id || ref.Runtime == uuid.Nil {
		return refs, nil
	}
	return refs, rt.held.Hold(ref)
}

func (rt *Runtime) ref(num uint64, it *iface.Interface) wire.Ref {
	return wire.Ref{Runtime: rt.id, Endpoint: rt.endpoint, TLS: rt.TLS(), Object: num, Iface: it.Name,
		Key: rt.exports.keyOf(num)}
}

package stub

import (
	"context"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
)

// The runtime reaches a stub's plumbing through internal/link, so that
// this package's own API is only what generated code and users call.
func init() {
	link.NewStub = newShell
	link.RawStub = func(it *iface.Interface, ref wire.Ref, rt link.StubRuntime) link.Stub {
		return handle{&Stub{it: it, ref: ref, rt: rt}}
	}
	link.StubOf = func(v any) (link.Stub, bool) {
		s, ok := from(v)
		if !ok {
			return nil, false
		}
		return handle{s}, true
	}
	link.NewDynamic = func(ref wire.Ref, rt link.StubRuntime) any { return &Dynamic{s: bind(nil, ref, rt)} }
}

// handle is the runtime's view of a Stub (link.Stub).
type handle struct{ s *Stub }

func (h handle) Invoke(ctx context.Context, index int, args []any, results []any) error {
	return h.s.Invoke(ctx, index, args, results)
}

func (h handle) Probe(ctx context.Context) error {
	if ctx == nil {
		return errNilContext
	}
	_, err := probe(ctx, h.s.rt, &h.s.ref, h.s.it.Name)
	return err
}

func (h handle) Ref() wire.Ref { return h.s.ref }

// Release ends the stub's count, so the owner may collect the object once
// no one else holds it. Later calls on the stub fail with
// objerr.ErrNoSuchObject. Releasing twice is harmless; a stub that is
// never released is released when Go collects it.
func (h handle) Release() {
	if h.s.hold != nil {
		h.s.hold.end()
	}
	if h.s.group != nil {
		h.s.group.Close()
	}
}

// Released reports whether Release was called, or Go collected the stub.
func (h handle) Released() bool { return h.s.hold != nil && h.s.hold.released.Load() }

// Counted reports whether the stub counts as a holder of its reference:
// not for an object at a well-known id, nor for one of its own runtime.
func (h handle) Counted() bool { return h.s.hold != nil }

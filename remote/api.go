package remote

import (
	"context"
	"fmt"
	"strings"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/stub"
)

// ExportOption adjusts one Export.
type ExportOption func(*exportConfig)

type exportConfig struct {
	id          uint64
	collectable bool
	authorize   Authorizer
}

// WithID exports the object at a well-known id (2 to FirstDynamicID-1),
// so peers can reach it with Dial and the runtime's endpoint alone. Id 1
// is the runtime's own DGC object, and id 2 (RegistryID) is where
// registry.Serve puts a naming registry.
func WithID(id uint64) ExportOption {
	return func(c *exportConfig) { c.id = id }
}

// Collectable makes an explicit export end like an implicit one: when
// the last runtime holding a reference to it lets go (released, or its
// lease lapsed), it is unexported, after its Unreferenced call if it has
// one. Without it, an exported object stays exported until Unexport. An
// object no one ever held is never collected.
func Collectable() ExportOption {
	return func(c *exportConfig) { c.collectable = true }
}

// Export makes impl callable by other runtimes as the remote interface T.
// T is checked once: a method that breaks the rules (context.Context
// first, error last, encodable parameters) is refused with an
// *objerr.InterfaceError naming it. Exporting the same object as the same
// interface again returns the same reference.
func Export[T any](rt *Runtime, impl T, opts ...ExportOption) (Ref, error) {
	var cfg exportConfig
	for _, o := range opts {
		o(&cfg)
	}
	it, err := iface.For[T]()
	if err != nil {
		return Ref{}, err
	}
	if any(impl) == nil {
		return Ref{}, fmt.Errorf("objrmi: Export[%s]: nil object", it.Name)
	}
	if cfg.id == reservedDGC {
		return Ref{}, fmt.Errorf("objrmi: object id %d is reserved", cfg.id)
	}
	if rt.isClosing() {
		return Ref{}, errClosed()
	}
	num, err := rt.exports.add(it, impl, cfg, false)
	if err != nil {
		return Ref{}, err
	}
	return fromWire(rt.ref(num, it)), nil
}

// Unexport stops serving the object behind ref. Later calls fail with
// objerr.ErrNoSuchObject, saying it was unexported.
func (rt *Runtime) Unexport(ref Ref) error {
	if ref.Runtime != rt.id {
		return fmt.Errorf("objrmi: Unexport: %s belongs to runtime %s, not this one", ref, ref.Runtime)
	}
	if ref.Object == reservedDGC {
		return fmt.Errorf("objrmi: Unexport: object id %d is the runtime's own", ref.Object)
	}
	if !rt.exports.remove(ref.Object, nil, "it was unexported") {
		return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject,
			Reason: fmt.Sprintf("object %d is not exported", ref.Object)}
	}
	return nil
}

// StubOf returns a T whose methods call the object behind ref. If ref
// points into rt itself, the object itself is returned. T needs a
// generated stub (cmd/objstub).
func StubOf[T any](rt *Runtime, ref Ref) (T, error) {
	var zero T
	it, err := iface.For[T]()
	if err != nil {
		return zero, err
	}
	wr := ref.wire()
	v, err := rt.decodeRef(&wr, it)
	if err != nil {
		return zero, err
	}
	t, ok := v.Interface().(T)
	if !ok {
		return zero, fmt.Errorf("objrmi: %s does not implement %s", v.Type(), it.Type)
	}
	return t, nil
}

// Dial connects to the runtime at endpoint ("host:port", or
// "tls:host:port" for a runtime that speaks TLS) and returns a T for the
// object it exports at the well-known id. A nil ctx is refused with
// objerr.ErrNilContext.
func Dial[T any](ctx context.Context, rt *Runtime, endpoint string, id uint64) (T, error) {
	var zero T
	it, err := iface.For[T]()
	if err != nil {
		return zero, err
	}
	if ctx == nil {
		return zero, &objerr.Error{Kind: objerr.KindNotSent, Op: "Dial " + it.Name, Err: objerr.ErrNilContext}
	}
	ref := WellKnown(endpoint, id, it.Name).wire()
	c, err := rt.conn(ctx, &ref)
	if err != nil {
		return zero, err
	}
	ref.Runtime = c.Peer().Runtime
	t, err := StubOf[T](rt, fromWire(ref))
	if err != nil {
		return zero, err
	}
	if s, ok := link.StubOf(t); ok {
		// Fail now, with the precise error, if nothing is exported there
		// as T: not at the first call.
		if err := s.Probe(ctx); err != nil {
			return zero, err
		}
	}
	return t, nil
}

// WellKnown is the reference to the object at a well-known id of the
// runtime at endpoint ("host:port" or "tls:host:port"), before its
// runtime identity is known.
func WellKnown(endpoint string, id uint64, iface string) Ref {
	endpoint, useTLS := strings.CutPrefix(endpoint, tlsPrefix)
	return Ref{Endpoint: endpoint, TLS: useTLS, Object: id, Iface: iface}
}

// TLS reports whether this runtime's listener speaks TLS: its references
// say so, and peers must dial it with TLS.
func (rt *Runtime) TLS() bool { return rt.ln != nil && rt.opts.TLS != nil }

// RefOf returns the reference behind a stub, or false if v is not a stub.
func RefOf(v any) (Ref, bool) {
	s, ok := link.StubOf(v)
	if !ok {
		return Ref{}, false
	}
	return fromWire(s.Ref()), true
}

// Release tells the runtime that the stub v is no longer used, so that
// its owner can collect the object once no runtime holds it. Later calls
// on v fail with objerr.ErrNoSuchObject. Releasing is optional: a stub
// that Go's garbage collector reclaims is released then. Release of a
// value that is not a stub (a local object) does nothing.
func Release(v any) {
	if s, ok := link.StubOf(v); ok {
		s.Release()
	}
}

// Dynamic returns a handle that calls ref's methods by name, with no
// generated code and no interface type: for tools.
func Dynamic(rt *Runtime, ref Ref) *stub.Dynamic {
	return link.NewDynamic(wire.Ref(ref), stubRuntime{rt}).(*stub.Dynamic)
}

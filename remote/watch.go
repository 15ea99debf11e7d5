package remote

import (
	"context"
	"fmt"
	"runtime"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/objerr"
)

// Watch returns a context that is cancelled once the object behind the
// stub v (a generated stub or a Dynamic handle) is known to be lost to
// this runtime. context.Cause says why:
//   - objerr.ErrNoSuchObject: the owner says the object is gone, or the
//     owner runtime restarted;
//   - objerr.ErrLeaseLapsed: the owner could not be reached before this
//     runtime's lease ran out, so it has dropped this runtime's hold (the
//     stub still works if the owner comes back, but the context stays
//     done);
//   - objerr.ErrReleased: v was released, or every stub for the same
//     reference in rt was released or collected by Go: keep v reachable
//     for as long as the context matters.
//
// A stub for an object of rt itself is lost when the object is
// unexported or collected. A local object that is not a stub, or a stub
// of another runtime's object at a well-known id (not counted), is never
// lost: its context is never done. The context is shared by all stubs
// of one reference. The registry uses Watch to drop the bindings of
// servers that died.
func (rt *Runtime) Watch(v any) context.Context {
	s, ok := link.StubOf(v)
	if ok && s.Ref().Runtime == rt.id {
		return rt.exports.watch(s.Ref().Object)
	}
	if !ok || !s.Counted() {
		return context.Background()
	}
	if s.Released() {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(fmt.Errorf("%w: %s", objerr.ErrReleased, s.Ref()))
		return ctx
	}
	return rt.held.Watch(s.Ref())
}

// Confirm waits until the owner of the stub v has granted this runtime a
// lease on its object. It fails with the owner's reason if the object is
// gone (objerr.ErrNoSuchObject), with objerr.ErrLeaseLapsed if the owner
// stays unreachable for a whole lease, or with ctx's error. A stub for an
// object of rt itself is confirmed if the object is exported; a local
// object or a stub that is not counted is confirmed at once. A nil ctx
// is refused with objerr.ErrNilContext.
func (rt *Runtime) Confirm(ctx context.Context, v any) error {
	if ctx == nil {
		return &objerr.Error{Kind: objerr.KindNotSent, Op: "Confirm", Err: objerr.ErrNilContext}
	}
	s, ok := link.StubOf(v)
	if ok && s.Ref().Runtime == rt.id {
		return context.Cause(rt.exports.watch(s.Ref().Object))
	}
	if !ok || !s.Counted() {
		return nil
	}
	if s.Released() {
		return fmt.Errorf("%w: %s", objerr.ErrReleased, s.Ref())
	}
	err := rt.held.Confirm(ctx, s.Ref())
	// v must count as a holder until the answer: Go may collect a stub
	// as soon as its last use, and that would release it.
	runtime.KeepAlive(s)
	return err
}

// Holders asks the owner of ref who holds its object: each holder
// runtime with its lease expiry, and how many copies are in transit. It
// is for tools (objregistry lookup); an object at a well-known id is not
// counted and has none. Another runtime's owner answers only if its
// Options.Authorize allows Inspect; otherwise the call fails with
// objerr.ErrAccessDenied.
func (rt *Runtime) Holders(ctx context.Context, ref Ref) (gc.Object, error) {
	if ref.Runtime == rt.id {
		return rt.holders(ref.Object)
	}
	var o gc.Object
	err := dgcOf(rt, ref.wire()).Invoke(ctx, dgcInspect, []any{ref.Object}, []any{&o})
	return o, err
}

// Package skeleton is the server half of an objrmi call: it owns the
// method table of one exported object, built once per interface type by
// reflection, decodes the arguments straight into the declared parameter
// types, calls the method, and encodes its results or its error. A method
// that panics fails only that call; the runtime keeps serving.
//
// The runtime creates skeletons when objects are exported; users rarely
// touch this package directly.
package skeleton

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"strings"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Skeleton serves calls on one object through one remote interface.
type Skeleton struct {
	it   *iface.Interface
	obj  any
	recv reflect.Value
	// methods are the method expressions of obj's type, by method
	// index: called with the receiver first, they skip the lookup that
	// calling a bound method value repeats on every call.
	methods []reflect.Value
}

// New builds the skeleton for obj as the remote interface T. Only the
// check that obj implements T happens here; the method table is shared by
// every object of T.
func New(it *iface.Interface, obj any) (*Skeleton, error) {
	v := reflect.ValueOf(obj)
	if !v.IsValid() || !v.Type().Implements(it.Type) {
		return nil, fmt.Errorf("objrmi: %T does not implement %s", obj, it.Type)
	}
	s := &Skeleton{it: it, obj: obj, recv: v, methods: make([]reflect.Value, len(it.Methods))}
	for i, m := range it.Methods {
		fn, _ := v.Type().MethodByName(m.Name)
		s.methods[i] = fn.Func
	}
	return s, nil
}

// Object is the served object.
func (s *Skeleton) Object() any { return s.obj }

// Interface is the method table served.
func (s *Skeleton) Interface() *iface.Interface { return s.it }

// Env is what a skeleton needs from its runtime.
type Env struct {
	Refs   codec.Refs
	Codes  *objerr.Codes
	Logger *slog.Logger
}

// Serve runs one call: h names the method, args holds the encoded
// arguments. It returns the reply frame. Whatever goes wrong, in the
// method or around it (an Error method that panics, a result whose
// encoder panics), becomes an error reply for this caller only.
//
// args must have passed wire's Validate, under the connection's limits:
// the transport checks every frame before it reaches a skeleton.
func (s *Skeleton) Serve(ctx context.Context, h *wire.CallHeader, args *wire.Decoder, env *Env) (reply *wire.Buffer) {
	m := s.Method(h)
	if m == nil {
		return wire.ErrorReply(h.ID, objerr.CodeNoSuchMethod, s.noMethod(h))
	}
	defer func() {
		if r := recover(); r != nil {
			reply = panicReply(h.ID, m, r, env.Logger)
		}
	}()
	in := make([]reflect.Value, 2+len(m.In))
	in[0] = s.recv
	// A Value of the interface type itself, so Call does not check
	// again that ctx's dynamic type implements context.Context.
	in[1] = reflect.ValueOf(&ctx).Elem()
	for i, sh := range m.In {
		in[2+i] = reflect.New(sh.Type).Elem()
	}
	if err := codec.DecodeValues(args, m.In, in[2:], env.Refs); err != nil {
		if errors.Is(err, objerr.ErrLimit) {
			// The arguments were well formed, but more than this runtime
			// takes from one peer.
			return wire.ErrorReply(h.ID, objerr.CodeLimit, &wire.ErrorBody{
				Message: m.Op + ": arguments refused: " + err.Error()})
		}
		return wire.ErrorReply(h.ID, objerr.CodeBadArguments, &wire.ErrorBody{
			Message: m.Op + ": arguments do not match " + m.Sig + ": " + err.Error()})
	}
	out := s.methods[m.Index].Call(in)
	if err, _ := out[len(out)-1].Interface().(error); err != nil {
		// fmt, unlike err.Error(), survives a typed nil or a panicking Error.
		return wire.ErrorReply(h.ID, objerr.CodeApplication, &wire.ErrorBody{
			AppCode: env.Codes.CodeFor(err), Type: fmt.Sprintf("%T", err), Message: fmt.Sprint(err)})
	}
	b := wire.GetBuffer(wire.KindReturn)
	e := wire.NewEncoder(b)
	defer e.Release()
	wire.PutReturn(b, e, wire.ReturnHeader{ID: h.ID})
	if err := codec.EncodeValues(e, m.Out, out[:len(out)-1], env.Refs); err != nil {
		b.Release()
		return wire.ErrorReply(h.ID, objerr.CodeEncoding, &wire.ErrorBody{
			Message: m.Op + ": results could not be encoded: " + err.Error()})
	}
	return b
}

// Method is the method h calls, or nil if this interface has none such.
func (s *Skeleton) Method(h *wire.CallHeader) *iface.Method {
	if h.Method == 0 {
		return s.it.ByName(h.Name)
	}
	return s.it.ByHash(h.Method)
}

// noMethod explains a miss with the signatures this side has, so two
// versions of an interface can be compared from the error alone.
func (s *Skeleton) noMethod(h *wire.CallHeader) *wire.ErrorBody {
	sigs := make([]string, len(s.it.Methods))
	for i, m := range s.it.Methods {
		sigs[i] = m.Sig
	}
	what := fmt.Sprintf("method hash %#x", h.Method)
	if h.Method == 0 {
		what = "method " + h.Name
	}
	return &wire.ErrorBody{Message: fmt.Sprintf("%s has no %s; the server has %s",
		s.it.Name, what, strings.Join(sigs, ", "))}
}

// panicReply logs a panic with its stack and turns it into the caller's
// error.
func panicReply(id uint64, m *iface.Method, r any, log *slog.Logger) *wire.Buffer {
	log.Error("objrmi: method panicked", "method", m.Op, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	return wire.ErrorReply(id, objerr.CodePanic, &wire.ErrorBody{Type: fmt.Sprintf("%T", r), Message: fmt.Sprintf("%s panicked: %v", m.Op, r)})
}

// Package skeleton is the server half of an objrmi call: it owns the
// method table of one exported object, built once per interface type by
// reflection, decodes the arguments straight into the declared parameter
// types, calls the method, and encodes its results or its error. A method
// that panics fails only that call; the runtime keeps serving.
//
// A panic is reported as the method's (objerr.CodePanic) only when it
// happened inside the method. Reflection cannot panic when the method
// is called, because New checks each method's parameter and result types
// against the interface once and variadic methods are called with
// CallSlice; a panic while decoding the arguments or encoding the
// results gets the code of that step instead, so that a caller told
// "method panicked" knows the method ran.
//
// Who uses it: the runtime (package remote), through internal/link,
// builds a skeleton when an object is exported. A program never calls it
// and it exports nothing; what it refuses, remote.Export reports.
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
	"github.com/objrmi/objrmi/internal/dispatch"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

func init() {
	link.NewSkeleton = func(it *iface.Interface, obj any) (link.Skeleton, error) {
		s, err := build(it, obj)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return s, nil
	}
}

// skel serves calls on one object through one remote interface.
type skel struct {
	it   *iface.Interface
	obj  any
	recv reflect.Value
	// methods are the method expressions of obj's type, by method
	// index: called with the receiver first, they skip the lookup that
	// calling a bound method value repeats on every call.
	methods []reflect.Value
	// variadic marks the methods whose last parameter is ...T: the
	// decoded []T is passed with CallSlice, as Call would panic on it.
	variadic []bool
	// fast is the server code objstub generated for the interface, bound
	// to obj, if there is any (dispatch.go); methods it does not serve
	// (streams) go through reflection.
	fast dispatch.Serve
}

// build builds the skeleton for obj as the remote interface T. Only the
// check that obj implements T happens here; the method table is shared by
// every object of T.
func build(it *iface.Interface, obj any) (*skel, error) {
	v := reflect.ValueOf(obj)
	if !v.IsValid() || !v.Type().Implements(it.Type) {
		return nil, fmt.Errorf("objrmi: %T does not implement %s", obj, it.Type)
	}
	s := &skel{it: it, obj: obj, recv: v,
		methods: make([]reflect.Value, len(it.Methods)), variadic: make([]bool, len(it.Methods))}
	for i, m := range it.Methods {
		fn, _ := v.Type().MethodByName(m.Name)
		if err := callable(fn.Type, v.Type(), m); err != nil {
			return nil, fmt.Errorf("objrmi: %s cannot be served as %s: %w", v.Type(), it.Type, err)
		}
		s.methods[i] = fn.Func
		s.variadic[i] = fn.Type.IsVariadic()
	}
	if mk := dispatch.Lookup(it.Type); mk != nil && generated {
		s.fast = mk(obj)
	}
	return s, nil
}

// callable checks once what reflect's Call would otherwise check, and
// panic over, on every call: that fn (a method expression of recv) takes
// the receiver, a context and exactly m's parameter types, and returns
// m's result types and an error. Serve builds its arguments from m's
// shapes, so after this check a panic during the call can only come from
// the method itself.
func callable(fn, recv reflect.Type, m *iface.Method) error {
	nOut := len(m.Out)
	if m.Stream != nil {
		nOut = 1 // the iterator
	}
	if fn == nil || fn.NumIn() != 2+len(m.In) || fn.NumOut() != nOut+1 {
		return fmt.Errorf("method %s does not match %s", m.Name, m.Sig)
	}
	if fn.In(0) != recv || fn.In(1) != ctxType || fn.Out(nOut) != errType {
		return fmt.Errorf("method %s does not match %s", m.Name, m.Sig)
	}
	for i, sh := range m.In {
		if fn.In(2+i) != sh.Type {
			return fmt.Errorf("method %s: parameter %d is %s, the interface says %s", m.Name, i+1, fn.In(2+i), sh.Type)
		}
	}
	for i, sh := range m.Out {
		if fn.Out(i) != sh.Type {
			return fmt.Errorf("method %s: result %d is %s, the interface says %s", m.Name, i, fn.Out(i), sh.Type)
		}
	}
	if m.Stream != nil && !streamOf(fn.Out(0), m.Stream.Type) {
		return fmt.Errorf("method %s: result 0 is %s, the interface says a stream of %s", m.Name, fn.Out(0), m.Stream.Type)
	}
	return nil
}

// generated is off only in tests that compare the generated server code
// with reflection (export_test.go).
var generated = true

var (
	ctxType = reflect.TypeFor[context.Context]()
	errType = reflect.TypeFor[error]()
)

// Object is the served object.
func (s *skel) Object() any { return s.obj }

// Interface is the method table served.
func (s *skel) Interface() *iface.Interface { return s.it }

// Serve runs one call: h names the method, args holds the encoded
// arguments. It returns the reply frame. Whatever goes wrong, in the
// method or around it (an Error method that panics, a result whose
// encoder panics), becomes an error reply for this caller only.
//
// args must have passed wire's Validate, under the connection's limits:
// the transport checks every frame before it reaches a skeleton.
func (s *skel) Serve(ctx context.Context, h *wire.CallHeader, args *wire.Decoder, env *link.Env) (reply *wire.Buffer) {
	if h.Method == wire.ProbeMethod {
		return s.probe(h)
	}
	m := s.Method(h)
	if m == nil {
		return wire.ErrorReply(h.ID, objerr.CodeNoSuchMethod, s.noMethod(h))
	}
	if refusal := streamMismatch(ctx, h, m); refusal != nil {
		return refusal
	}
	if s.fast != nil && m.Stream == nil {
		if reply, ok := s.serveFast(ctx, h, m, args, env); ok {
			return reply
		}
	}
	return s.serveReflect(ctx, h, m, args, env)
}

// serveReflect serves a call by reflection. It is apart from Serve
// because its &ctx moves ctx to the heap on entry, which the generated
// path does not need.
func (s *skel) serveReflect(ctx context.Context, h *wire.CallHeader, m *iface.Method, args *wire.Decoder, env *link.Env) (reply *wire.Buffer) {
	// step says where a panic happened, so that only a panic inside the
	// method is reported as the method's.
	step := stepDecode
	defer func() {
		if r := recover(); r != nil {
			reply = panicReply(h.ID, m, step, r, env.Logger)
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
		return s.badArguments(h, m, err)
	}
	step = stepMethod
	var out []reflect.Value
	if s.variadic[m.Index] {
		out = s.methods[m.Index].CallSlice(in) // the last argument is the []T itself
	} else {
		out = s.methods[m.Index].Call(in)
	}
	step = stepResults
	if err, _ := out[len(out)-1].Interface().(error); err != nil {
		return methodError(ctx, h.ID, m, err, env)
	}
	if m.Stream != nil {
		return s.stream(ctx, h, m, out[0], env, &step)
	}
	b := wire.GetBuffer(wire.KindReturn)
	e := wire.NewEncoder(b)
	defer e.Release()
	wire.PutReturn(b, e, wire.ReturnHeader{ID: h.ID})
	if err := codec.EncodeValues(e, m.Out, out[:len(out)-1], env.Refs); err != nil {
		b.Release()
		return resultsError(h, m, err)
	}
	return b
}

// badArguments is the reply to arguments that did not decode.
func (s *skel) badArguments(h *wire.CallHeader, m *iface.Method, err error) *wire.Buffer {
	if errors.Is(err, objerr.ErrLimit) {
		// The arguments were well formed, but more than this runtime
		// takes from one peer.
		return wire.ErrorReply(h.ID, objerr.CodeLimit, &wire.ErrorBody{
			Message: m.Op + ": arguments refused: " + err.Error()})
	}
	msg := m.Op + ": arguments do not match " + m.Sig + ": " + err.Error()
	if s.variadic[m.Index] && errors.Is(err, codec.ErrCount) {
		msg += " (the variadic arguments travel as one list)"
	}
	return wire.ErrorReply(h.ID, objerr.CodeBadArguments, &wire.ErrorBody{Message: msg})
}

// resultsError is the reply to results that did not encode.
func resultsError(h *wire.CallHeader, m *iface.Method, err error) *wire.Buffer {
	return wire.ErrorReply(h.ID, objerr.CodeEncoding, &wire.ErrorBody{
		Message: m.Op + ": results could not be encoded: " + err.Error()})
}

// methodError is the reply for an error the method returned (or, for a
// stream, yielded).
func methodError(ctx context.Context, id uint64, m *iface.Method, err error, env *link.Env) *wire.Buffer {
	if errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// The method gave up because the call ran out of time: a
		// deadline error for the caller, not an application error.
		return wire.ErrorReply(id, objerr.CodeDeadlineExceeded, &wire.ErrorBody{
			Message: m.Op + ": " + fmt.Sprint(err)})
	}
	// fmt, unlike err.Error(), survives a typed nil or a panicking Error.
	return wire.ErrorReply(id, objerr.CodeApplication, &wire.ErrorBody{
		AppCode: env.Codes.CodeFor(err), Type: fmt.Sprintf("%T", err), Message: fmt.Sprint(err)})
}

// step is where Serve is in a call, for reporting a panic truthfully.
type step uint8

const (
	stepDecode  step = iota // before the method: it did not run
	stepMethod              // inside the method
	stepResults             // after it: its error or results were being sent
)

// probe answers a probe (wire.ProbeMethod): an empty result if the
// object is exported as the interface the caller named, which runs
// nothing, or the interface it is exported as.
func (s *skel) probe(h *wire.CallHeader) *wire.Buffer {
	if h.Name != s.it.Name {
		return wire.ErrorReply(h.ID, objerr.CodeNoSuchMethod, &wire.ErrorBody{Message: fmt.Sprintf(
			"object %d is exported as %s, not %s", h.Object, s.it.Name, h.Name)})
	}
	b := wire.GetBuffer(wire.KindReturn)
	e := wire.NewEncoder(b)
	defer e.Release()
	wire.PutReturn(b, e, wire.ReturnHeader{ID: h.ID})
	// The results: the marks of the marked methods, as name and marks
	// pairs, so that a caller without the interface's generated code (a
	// Dynamic handle) learns them from the server, whose marks decide.
	n := 0
	for _, m := range s.it.Methods {
		if m.Marks != 0 {
			n++
		}
	}
	e.EncodeArrayLen(1)
	e.EncodeArrayLen(2 * n)
	for _, m := range s.it.Methods {
		if m.Marks != 0 {
			e.EncodeString(m.Name)
			e.EncodeUint(uint64(m.Marks))
		}
	}
	return b
}

// Method is the method h calls, or nil if this interface has none such.
func (s *skel) Method(h *wire.CallHeader) *iface.Method {
	if h.Method == 0 {
		return s.it.ByName(h.Name)
	}
	return s.it.ByHash(h.Method)
}

// noMethod explains a miss with the signatures this side has, so two
// versions of an interface can be compared from the error alone.
func (s *skel) noMethod(h *wire.CallHeader) *wire.ErrorBody {
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
// error, with the code of the step that panicked: a panic before the
// method ran is a refusal of the arguments (the caller sees "not sent"),
// one inside it is the method's, and one after it is a failure to send
// its results (the method ran).
func panicReply(id uint64, m *iface.Method, at step, r any, log *slog.Logger) *wire.Buffer {
	code, what := objerr.CodePanic, m.Op+" panicked"
	switch at {
	case stepDecode:
		code, what = objerr.CodeBadArguments, m.Op+": decoding the arguments panicked"
	case stepResults:
		code, what = objerr.CodeEncoding, m.Op+" returned, but sending its results panicked"
	}
	log.Error("objrmi: "+what, "method", m.Op, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	return wire.ErrorReply(id, code, &wire.ErrorBody{Type: fmt.Sprintf("%T", r), Message: fmt.Sprintf("%s: %v", what, r)})
}

package skeleton

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Serving a stream. A method whose result is an iter.Seq2[T, error]
// runs as any other; if it returns an error, that is the call's reply.
// Otherwise the stream opens (the caller's call returns its iterator),
// and the worker that ran the method pulls the iterator: each item it
// yields is encoded, as a result would be (remote interfaces by
// reference, pinned in transit), and sent once the caller has credit
// for it (transport.StreamOut). yield returns false, and the stream
// ends, when:
//
//   - the iterator yields an error: that error is the stream's last, as
//     a method's returned error is its call's;
//   - the caller stops (its loop broke, or its context ended): the
//     method's context ends, with objerr.ErrCallerCanceled, or the
//     deadline;
//   - the connection is lost: the stream cannot go on elsewhere;
//   - an item cannot be encoded (objerr.CodeEncoding), or is larger than
//     the caller takes in one frame (objerr.CodeResultLimit): the
//     connection lives on.
//
// When the iterator returns, the call's reply ends the stream: success,
// or the error that stopped it. A panic in the iterator is the method's
// (objerr.CodePanic). The worker holds one item at a time, and the
// iterator runs only as fast as the caller takes items.

// streamOf reports whether t is an iter.Seq2[item, error].
func streamOf(t, item reflect.Type) bool {
	if t.Kind() != reflect.Func || t.PkgPath() != "iter" || t.NumIn() != 1 || t.NumOut() != 0 {
		return false
	}
	y := t.In(0)
	return y.Kind() == reflect.Func && y.NumIn() == 2 && y.In(0) == item && y.In(1) == errType &&
		y.NumOut() == 1 && y.Out(0).Kind() == reflect.Bool
}

// streamMismatch refuses, before the method runs, a call that does not
// ask for a stream of a method that streams, or the reverse.
func streamMismatch(ctx context.Context, h *wire.CallHeader, m *iface.Method) *wire.Buffer {
	wants := h.Flags&wire.FlagStream != 0
	switch {
	case m.Stream != nil && (!wants || transport.StreamOf(ctx) == nil):
		return wire.ErrorReply(h.ID, objerr.CodeUnsupported, &wire.ErrorBody{Message: m.Op +
			" streams its results (iter.Seq2): call it through its interface, with a stub; a dynamic call cannot take a stream"})
	case m.Stream == nil && wants:
		return wire.ErrorReply(h.ID, objerr.CodeUnsupported, &wire.ErrorBody{Message: m.Op +
			" does not stream its results, but the call asked for a stream"})
	}
	return nil
}

// stream serves the stream seq, which the method m returned, and returns
// the reply that ends it. at is Serve's step: the iterator is the
// method's code.
func (s *skel) stream(ctx context.Context, h *wire.CallHeader, m *iface.Method, seq reflect.Value, env *link.Env, at *step) *wire.Buffer {
	p := &producer{ctx: ctx, id: h.ID, m: m, out: transport.StreamOf(ctx), env: env}
	defer p.out.Close()
	if err := p.out.Open(ctx); err != nil {
		return p.stopped(err)
	}
	if !seq.IsNil() { // a nil iterator is an empty stream
		*at = stepMethod
		seq.Call([]reflect.Value{reflect.MakeFunc(seq.Type().In(0), p.yield)})
		*at = stepResults
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true // an iterator that kept yield past its return is refused
	if p.reply != nil {
		return p.reply
	}
	b := wire.GetBuffer(wire.KindReturn)
	e := wire.NewEncoder(b)
	defer e.Release()
	wire.PutReturn(b, e, wire.ReturnHeader{ID: h.ID})
	e.EncodeArrayLen(0)
	return b
}

// producer is the state of one stream being served.
type producer struct {
	ctx context.Context
	id  uint64
	m   *iface.Method
	out *transport.StreamOut
	env *link.Env

	// mu makes yield safe for an iterator that calls it from several
	// goroutines, which the iter package's rules forbid but nothing
	// prevents: items go out one at a time, in the order of the calls.
	mu    sync.Mutex
	sent  int          // items sent
	done  bool         // the stream ended: yield returns false
	reply *wire.Buffer // the reply that ends the stream early
}

var (
	falseValue = []reflect.Value{reflect.ValueOf(false)}
	trueValue  = []reflect.Value{reflect.ValueOf(true)}
)

// yield is the iterator's yield: func(T, error) bool.
func (p *producer) yield(args []reflect.Value) []reflect.Value {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return falseValue
	}
	if err, _ := args[1].Interface().(error); err != nil {
		return p.stop(methodError(p.ctx, p.id, p.m, err, p.env))
	}
	b, err := p.encode(args[0])
	if err != nil {
		return p.stop(wire.ErrorReply(p.id, objerr.CodeEncoding, &wire.ErrorBody{
			Message: fmt.Sprintf("%s: item %d of the stream could not be encoded: %v", p.m.Op, p.sent, err)}))
	}
	if err := p.out.Send(p.ctx, b); err != nil {
		if errors.Is(err, transport.ErrItemTooLarge) {
			p.env.Logger.Info("objrmi: stream item too large for the caller; stream ended with an error",
				"method", p.m.Op, "item", p.sent, "err", err)
			return p.stop(wire.ErrorReply(p.id, objerr.CodeResultLimit, &wire.ErrorBody{
				Message: fmt.Sprintf("%s: item %d of the stream: %v; the stream ended", p.m.Op, p.sent, err)}))
		}
		return p.stop(p.stopped(err))
	}
	p.sent++
	return trueValue
}

// encode builds the frame of one item. A panic in an encoder (a value's
// own MarshalMsgpack) fails the stream, not the process: yield may run on
// a goroutine of the iterator's that no recover of Serve's covers.
func (p *producer) encode(v reflect.Value) (b *wire.Buffer, err error) {
	b = wire.GetBuffer(wire.KindItem)
	e := wire.NewEncoder(b)
	defer e.Release()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("encoding panicked: %v", r)
		}
		if err != nil {
			b.Release()
			b = nil
		}
	}()
	wire.PutItemHeader(b, p.id)
	err = codec.Encode(e, p.m.Stream, v, p.env.Refs)
	return b, err
}

// stop ends the stream with reply; p.mu is held.
func (p *producer) stop(reply *wire.Buffer) []reflect.Value {
	p.done, p.reply = true, reply
	return falseValue
}

// stopped is the reply for a stream that stopped because its caller did
// (or its deadline passed, or its connection died): one its caller will
// not read, unless it is a deadline's.
func (p *producer) stopped(err error) *wire.Buffer {
	code := objerr.CodeCanceled
	if errors.Is(err, context.DeadlineExceeded) {
		code = objerr.CodeDeadlineExceeded
	}
	return wire.ErrorReply(p.id, code, &wire.ErrorBody{
		Message: fmt.Sprintf("%s: the stream stopped after %d items: %v", p.m.Op, p.sent, err)})
}

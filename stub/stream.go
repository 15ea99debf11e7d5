package stub

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync/atomic"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Streams, the caller's side. A method whose result is an
// iter.Seq2[T, error] is called like any other: Invoke sends the call,
// asking for a stream, and waits until the method has returned. Its error
// is Invoke's; otherwise Invoke stores a single-use iterator in the
// result, and items flow while it is ranged over, under credit (see
// internal/transport/stream.go): the server runs ahead of the loop by at
// most a window of items (remote.WithStreamWindow).
//
// The stream's life is the context of the call that opened it. Breaking
// out of the loop cancels it (the method's context ends with
// objerr.ErrCallerCanceled), and so does the context's end, whether or
// not anyone is ranging over the iterator. An iterator that is never
// ranged over and dropped is cancelled when Go collects it. Ranging over
// it a second time yields one error and nothing else.

// errReused is the error of an iterator ranged over twice.
var errReused = &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeUnsupported,
	Reason: "a stream's iterator is single-use, and this one was already ranged over: call the method again"}

var errType = reflect.TypeFor[error]()

// invokeStream is Invoke for a method that streams: results holds one
// *iter.Seq2[T, error].
func (s *Stub) invokeStream(ctx context.Context, m *iface.Method, args []any, results []any) error {
	if err := s.released(); err != nil {
		return annotate(err, m)
	}
	var dst reflect.Value
	if len(results) == 1 {
		dst = reflect.ValueOf(results[0])
	}
	if !dst.IsValid() || dst.Kind() != reflect.Pointer || dst.IsNil() || !isStream(dst.Type().Elem(), m.Stream.Type) {
		return annotate(&objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeEncoding,
			Reason: fmt.Sprintf("results: want one *iter.Seq2[%s, error], got %d values", m.Stream.Type, len(results))}, m)
	}
	// A group's stream opens on one member, picked as for a call, and is
	// not moved: items it sent cannot be taken back.
	mem := link.Member{Ref: s.ref, Refs: s.refs}
	var done func(error)
	if s.group != nil {
		var err error
		if mem, _, done, err = s.group.Pick(nil); err != nil {
			return annotate(err, m)
		}
	}
	in, err := openStream(ctx, s.rt, &mem.Ref, m, func(e *wire.Encoder) error {
		return codec.EncodeList(e, m.In, args, mem.Refs)
	})
	if done != nil {
		done(err)
	}
	runtime.KeepAlive(s)
	if err != nil {
		return annotate(err, m)
	}
	it := &streamIter{s: s, m: m, ctx: ctx, in: in, refs: mem.Refs, shapes: []*iface.Shape{m.Stream}}
	if in != nil {
		it.stopAfter = context.AfterFunc(ctx, func() { in.Cancel(ctx) })
		// The cleanup's argument must not reach it: the stream alone.
		it.cleanup = runtime.AddCleanup(it, cancelStream, in)
	}
	dst.Elem().Set(reflect.MakeFunc(dst.Type().Elem(), it.seq))
	return nil
}

// cancelStream cancels the stream of an iterator that Go collected
// before it ended.
func cancelStream(in *transport.StreamIn) { in.Cancel(context.Background()) }

// isStream reports whether t is an iter.Seq2[item, error].
func isStream(t, item reflect.Type) bool {
	if t.Kind() != reflect.Func || t.NumIn() != 1 || t.NumOut() != 0 {
		return false
	}
	y := t.In(0)
	return y.Kind() == reflect.Func && y.NumIn() == 2 && y.In(0) == item && y.In(1) == errType &&
		y.NumOut() == 1 && y.Out(0).Kind() == reflect.Bool
}

// openStream sends a call that asks for a stream and waits for the
// method to return: it returns the open stream, nil for an empty stream
// that did not open, or the call's error. It is call's first half, for
// a stream.
func openStream(ctx context.Context, rt link.StubRuntime, ref *wire.Ref, m *iface.Method,
	encode func(*wire.Encoder) error) (*transport.StreamIn, error) {
	w := link.StreamWindowOf(ctx)
	c, b, err := prepareHeader(ctx, rt, ref, wire.CallHeader{Method: m.Hash, Flags: wire.FlagStream, Credit: uint64(w.Items)}, encode)
	if err != nil {
		return nil, err
	}
	in, f, err := c.OpenStream(ctx, b, uint64(w.Items), w.Bytes)
	if err != nil && errors.Is(err, transport.ErrIdle) && errors.Is(err, objerr.ErrNotSent) {
		// Closed as idle just as the call was queued: it never left.
		return openStream(ctx, rt, ref, m, encode)
	}
	if err != nil || f == nil {
		return in, err
	}
	defer f.Release()
	return nil, replyError(f, rt.Codes())
}

// replyError is the error of a call's reply frame, nil for success.
func replyError(f *wire.Frame, codes *objerr.Codes) error {
	return decodeReply(f.Body(), codes, nil, func(*wire.Decoder) error { return nil })
}

// streamIter is the iterator a stream method returns.
type streamIter struct {
	s      *Stub // held while the iterator is: the server's object serves the stream
	m      *iface.Method
	ctx    context.Context
	in     *transport.StreamIn // nil: the stream was empty
	shapes []*iface.Shape      // the item's, as a list of one
	refs   codec.Refs          // the references of the member that serves it
	used   atomic.Bool

	stopAfter func() bool     // undoes the cancel at the context's end
	cleanup   runtime.Cleanup // undoes the cancel when Go collects it
}

// seq is the iterator: func(yield func(T, error) bool).
func (it *streamIter) seq(args []reflect.Value) []reflect.Value {
	yield := args[0]
	item := it.m.Stream.Type
	if !it.used.CompareAndSwap(false, true) {
		yield.Call([]reflect.Value{reflect.Zero(item), errValue(annotate(errReused, it.m))})
		return nil
	}
	if it.in == nil {
		return nil
	}
	defer it.end()
	pair := []reflect.Value{{}, reflect.Zero(errType)}
	vals := make([]reflect.Value, 1)
	for n := 0; ; n++ {
		f, last, err := it.in.Next(it.ctx)
		if err == nil && last {
			err = replyError(f, it.s.rt.Codes())
			f.Release()
			if err == nil {
				return nil
			}
		}
		if err != nil {
			yield.Call([]reflect.Value{reflect.Zero(item), errValue(annotate(err, it.m))})
			return nil
		}
		vals[0] = reflect.New(item).Elem()
		if err := it.decode(f, vals); err != nil {
			yield.Call([]reflect.Value{reflect.Zero(item), errValue(annotate(&objerr.Error{
				Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeEncoding,
				Reason: fmt.Sprintf("item %d of the stream did not decode", n), Err: err}, it.m))})
			return nil
		}
		pair[0] = vals[0]
		if !yield.Call(pair)[0].Bool() {
			return nil
		}
	}
}

// decode decodes the item frame f into vals[0], and releases f.
func (it *streamIter) decode(f *wire.Frame, vals []reflect.Value) error {
	defer f.Release()
	d := wire.NewDecoder(f.Body())
	defer d.Release()
	if _, _, err := wire.ReadItem(d); err != nil {
		return err
	}
	return codec.DecodeValues(d, it.shapes, vals, it.refs)
}

// end cancels the stream unless it ended, and stops watching for the
// context's end and for Go's collection.
func (it *streamIter) end() {
	it.in.Cancel(it.ctx)
	it.stopAfter()
	it.cleanup.Stop()
	runtime.KeepAlive(it.s)
}

// errValue is err as a reflect.Value of type error.
func errValue(err error) reflect.Value {
	v := reflect.New(errType).Elem()
	v.Set(reflect.ValueOf(err))
	return v
}

package stub

import (
	"context"
	"runtime"
	"sync"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
)

// Dynamic calls methods by name, without generated code or the interface
// type: the server decodes the arguments into its own parameter types and
// the results come back as plain values (numbers, strings, maps, slices).
// It is meant for tools: debuggers, CLIs, scripts.
//
// A Dynamic counts as a holder of its reference, like a typed stub, until
// Release or until Go collects it.
type Dynamic struct {
	s *Stub
	// marks are the server's marks of the interface's methods, learnt
	// once, by a probe before the first call.
	marks     map[string]iface.Marks
	marksOnce sync.Mutex
}

// Release tells the runtime that the handle is no longer used, so the
// owner may collect the object once no one else holds it. Later calls fail
// with objerr.ErrNoSuchObject. Releasing twice is harmless.
func (dy *Dynamic) Release() { handle{dy.s}.Release() }

// objrmiStub lets From see the Stub inside, as it does for a shell.
func (dy *Dynamic) objrmiStub() *Stub { return dy.s }

// Call invokes method with args and returns its results, without the
// final error, which comes back as err. The server decodes args into its
// parameter types, so a variadic method takes its variadic part as one
// slice, as the wire carries it: Call(ctx, "Sum", base, []int64{1, 2}).
// A nil ctx fails the call, not sent, with objerr.ErrNilContext.
func (dy *Dynamic) Call(ctx context.Context, method string, args ...any) ([]any, error) {
	if err := dy.s.released(); err != nil {
		return nil, err
	}
	marks, err := dy.learnMarks(ctx)
	if err != nil {
		return nil, withOp(err, dy.s.ref.Iface+"."+method)
	}
	var flags wire.CallFlags
	if marks[method].Has(iface.OneWay) {
		flags = wire.FlagNoReply // and no results come back
	}
	var out []any
	err = intercepted(ctx, dy.s.rt, &dy.s.ref, method, flags, func(ctx context.Context) error {
		return dy.call(ctx, method, flags, args, &out)
	})
	// The handle must count as held until the call is served, even if
	// the caller drops it the moment Call begins.
	runtime.KeepAlive(dy)
	if err != nil {
		return nil, withOp(err, dy.s.ref.Iface+"."+method)
	}
	return out, nil
}

// call is one call of Call, inside the runtime's interceptors.
func (dy *Dynamic) call(ctx context.Context, method string, flags wire.CallFlags, args []any, res *[]any) error {
	return call(ctx, dy.s.rt, &dy.s.ref, 0, method, flags, func(e *wire.Encoder) error {
		if err := e.EncodeArrayLen(len(args)); err != nil {
			return err
		}
		for _, a := range args {
			if err := e.Encode(a); err != nil {
				return err
			}
		}
		return nil
	}, func(d *wire.Decoder) error {
		n, err := d.DecodeArrayLen()
		if err != nil {
			return err
		}
		out := make([]any, 0, max(n, 0))
		for range n {
			v, err := codec.DecodeUntyped(d)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		*res = out
		return nil
	})
}

// learnMarks asks the server, once, which of the interface's methods are
// marked, and how: the server's marks decide how a call is made.
func (dy *Dynamic) learnMarks(ctx context.Context) (map[string]iface.Marks, error) {
	dy.marksOnce.Lock()
	defer dy.marksOnce.Unlock()
	if dy.marks != nil {
		return dy.marks, nil
	}
	if ctx == nil {
		return nil, errNilContext
	}
	marks, err := probe(ctx, dy.s.rt, &dy.s.ref, dy.s.ref.Iface)
	if err != nil {
		return nil, err
	}
	dy.marks = marks
	return marks, nil
}

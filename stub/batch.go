package stub

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Batch gathers async calls to one runtime, and sends them in one
// frame, which the server runs one call after another, in order, and
// answers in one frame: a batch costs one round trip. Make one with
// remote.NewBatch, and call through a stub bound to it (remote.InBatch)
// in its async form (objstub's AsyncXxx); each call's future completes
// when the batch's reply comes.
//
// One call's failure fails that call alone, unless the batch stops at
// the first error (remote.StopOnError): then the calls after the failed
// one do not run, and fail with objerr.ErrBatchStopped (not sent). A
// oneway call's future is done once the batch is written, and its
// failure, which the server logs, neither reaches the caller nor stops
// the batch.
//
// A batch goes to one runtime: a call to another fails, not sent. It
// holds at most 1,024 calls, and its frame must fit in the server's
// MaxFrameSize; past either, it is refused before anything is sent, with
// objerr.ErrLimit (not sent). Each call keeps its own context: its
// deadline travels with it (counted from when the batch is sent), and
// when it ends the call is withdrawn before Send, or cancelled after.
// A batch is sent once.
type Batch struct {
	stopOnError bool

	mu    sync.Mutex
	rt    link.StubRuntime // of the first call
	ref   wire.Ref         // the first call's target: the batch goes to its runtime
	calls []*batched
	sent  bool
	conn  *transport.Conn // once sent
	// live are the calls sent, in the order of the frame. Set before the
	// frame is written; the reader reads it when the reply comes.
	live  []*batched
	async transport.Async
}

// batched is one call of a batch.
type batched struct {
	f      *core
	ctx    context.Context
	h      wire.CallHeader // without its id and timeout, set at Send
	args   *wire.Buffer    // the encoded argument list (in a KindCall buffer)
	oneWay bool
	id     uint64 // once sent; guarded by Batch.mu
}

func newBatch(stopOnError bool) *Batch { return &Batch{stopOnError: stopOnError} }

// Len reports how many calls the batch holds.
func (bt *Batch) Len() int {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	return len(bt.calls)
}

// add records a call of s's method m in the batch, or fails its future.
func (bt *Batch) add(ctx context.Context, s *Stub, m *iface.Method, args []any, f *core) {
	fail := func(err error) { f.settle(nil, nil, err) }
	if ctx == nil {
		fail(errNilContext)
		return
	}
	if ctx.Err() != nil {
		fail(transport.ContextError(objerr.KindNotSent, ctx))
		return
	}
	bc := &batched{f: f, ctx: ctx, oneWay: m.Marks.Has(iface.OneWay),
		h: wire.CallHeader{Object: s.ref.Object, Method: m.Hash}}
	if bc.oneWay {
		bc.h.Flags = wire.FlagNoReply
	}
	bc.args = wire.GetBuffer(wire.KindCall)
	e := wire.NewEncoder(bc.args)
	err := codec.EncodeList(e, m.In, args, s.refs)
	e.Release()
	if err != nil {
		bc.args.Release()
		fail(&objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeEncoding, Reason: "arguments", Err: err})
		return
	}
	bt.mu.Lock()
	defer bt.mu.Unlock()
	err = bt.admit(s)
	if err != nil {
		bc.args.Release()
		fail(err)
		return
	}
	if len(bt.calls) == 0 {
		bt.rt, bt.ref = s.rt, s.ref
	}
	bt.calls = append(bt.calls, bc)
	if ctx.Done() != nil {
		// Set before the future is returned, so settle always sees it.
		f.stop = context.AfterFunc(ctx, func() {
			bt.abandon(bc, transport.CancelReason(ctx), transport.ContextError(objerr.KindOutcomeUnknown, ctx))
		})
	}
	f.cancel = func() {
		bt.abandon(bc, wire.CancelCaller, &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeCanceled,
			Reason: "the caller cancelled it", Err: context.Canceled})
	}
}

// admit says whether a call to s may join the batch; bt.mu is held.
func (bt *Batch) admit(s *Stub) error {
	switch {
	case bt.sent:
		return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeUnsupported,
			Reason: "the batch was sent already: a batch is sent once, so start another"}
	case len(bt.calls) >= wire.MaxBatch:
		return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeLimit,
			Reason: fmt.Sprintf("a batch holds at most %d calls: send this one and start another", wire.MaxBatch)}
	case len(bt.calls) > 0 && !sameRuntime(bt.ref, s.ref):
		return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeUnsupported,
			Reason: fmt.Sprintf("a batch goes to one runtime: this call is to %s, the batch to %s", s.ref, bt.ref)}
	}
	return nil
}

func sameRuntime(a, b wire.Ref) bool {
	if a.Runtime != [16]byte{} && b.Runtime != [16]byte{} {
		return a.Runtime == b.Runtime
	}
	return a.Endpoint == b.Endpoint && a.TLS == b.TLS
}

// abandon ends a call whose context ended, or that was cancelled:
// before Send it is withdrawn (not sent), after it the server is sent a
// cancel for it (outcome unknown, err).
func (bt *Batch) abandon(bc *batched, why wire.CancelReason, err error) {
	bt.mu.Lock()
	sent, c, id := bt.sent, bt.conn, bc.id
	bt.mu.Unlock()
	if !sent {
		if ne, ok := err.(*objerr.Error); ok {
			cp := *ne
			cp.Kind = objerr.KindNotSent
			err = &cp
		}
		bc.f.settle(nil, nil, err)
		return
	}
	if bc.f.settle(nil, nil, err) && c != nil && !bc.oneWay {
		c.Cancel(id, why)
	}
}

// Send sends the batch's calls in one frame and returns once it is
// written: each call's future completes when the batch's reply comes,
// or fails, with the rest, if the batch could not be sent. ctx bounds
// the dial and the write (and the wait for a place, see
// Options.MaxOutstanding); the calls keep their own contexts. Calls
// whose context ended before Send are left out. An error is also each
// future's: not sent if nothing left.
func (bt *Batch) Send(ctx context.Context) error {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	if bt.sent {
		return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeUnsupported, Reason: "Batch.Send: the batch was sent already"}
	}
	bt.sent = true
	var live []*batched
	for _, bc := range bt.calls {
		if bc.f.state.Load() == 0 {
			live = append(live, bc)
		} else {
			bc.args.Release()
		}
	}
	if len(live) == 0 {
		return nil
	}
	defer func() {
		for _, bc := range live {
			bc.args.Release()
		}
	}()
	failAll := func(err error) error {
		for _, bc := range live {
			bc.f.settle(nil, nil, err)
		}
		return err
	}
	if ctx == nil {
		return failAll(errNilContext)
	}
	if ctx.Err() != nil {
		return failAll(transport.ContextError(objerr.KindNotSent, ctx))
	}
	var flags wire.BatchFlags
	if bt.stopOnError {
		flags = wire.BatchStopOnError
	}
	for {
		c, err := bt.rt.Conn(ctx, &bt.ref)
		if err != nil {
			return failAll(err)
		}
		calls, kept := bt.frames(live)
		if len(kept) == 0 {
			return nil
		}
		bt.live = kept
		first, err := c.SendBatch(ctx, flags, calls, &bt.async, (*batchReceiver)(bt))
		if idleRace(err) {
			continue
		}
		if err != nil {
			return failAll(err)
		}
		bt.conn = c
		for i, bc := range kept {
			bc.id = first + uint64(i)
			if bc.oneWay {
				bc.f.settle(nil, nil, nil)
			}
		}
		return nil
	}
}

// frames builds the call frames of the live calls whose deadline has
// not passed; the others fail, not sent. bt.mu is held.
func (bt *Batch) frames(live []*batched) (calls []*wire.Buffer, kept []*batched) {
	for _, bc := range live {
		h := bc.h
		if dl, ok := bc.ctx.Deadline(); ok {
			if h.Timeout = int64(time.Until(dl)); h.Timeout <= 0 {
				bc.f.settle(nil, nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeDeadlineExceeded, Err: context.DeadlineExceeded})
				continue
			}
		}
		b := wire.GetBuffer(wire.KindCall)
		e := wire.NewEncoder(b)
		err := wire.PutCall(b, e, &h)
		e.Release()
		if err != nil {
			b.Release()
			bc.f.settle(nil, nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeEncoding, Reason: "call header", Err: err})
			continue
		}
		b.B = append(b.B, bc.args.B[5:]...)
		calls = append(calls, b)
		kept = append(kept, bc)
	}
	return calls, kept
}

// batchReceiver is a Batch as the transport sees it: a type of its own,
// so that BatchReply stays off Batch's method set.
type batchReceiver Batch

// BatchReply implements transport.BatchReceiver: it hands each call its
// reply, or the batch's failure.
func (br *batchReceiver) BatchReply(f *wire.Frame, r *wire.BatchReturn, err error) {
	bt := (*Batch)(br)
	// The frame is not released: the parts lie in it, and each future
	// decodes its own when awaited.
	if err == nil && r.Code != 0 {
		err = remoteErrorOf(r.Code, &r.Error, bt.rt.Codes())
	}
	for i, bc := range bt.live {
		switch {
		case err != nil:
			bc.f.settle(nil, nil, err)
		case bc.oneWay:
		default:
			bc.f.settle(nil, r.Parts[i], nil)
		}
	}
}

var _ transport.BatchReceiver = (*batchReceiver)(nil)

// inBatch returns a shell of the interface of v (a shell) whose async
// calls join b.
func inBatch(v any, b any) (any, error) {
	s, ok := from(v)
	if !ok || s.it == nil {
		return nil, fmt.Errorf("objrmi: InBatch: %T is not a stub of a remote interface: only calls to another runtime can be batched", v)
	}
	mk, ok := shells.Load(s.it.Type)
	if !ok {
		return nil, fmt.Errorf("objrmi: InBatch: no stub for %s", s.it.Type)
	}
	base := s
	if s.base != nil {
		base = s.base
	}
	bs := &Stub{it: s.it, ref: s.ref, rt: s.rt, refs: s.refs, hold: s.hold, batch: b.(*Batch), base: base}
	return mk.(func(*Stub) any)(bs), nil
}

func init() {
	link.NewBatch = func(stopOnError bool) any { return newBatch(stopOnError) }
	link.InBatch = inBatch
}

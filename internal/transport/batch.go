package transport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Batches (see wire/batch.go for the frame). The caller sends several
// calls in one frame and awaits one reply frame; the callee runs them one
// after another on one worker, in order, and answers them all at once.
//
// On the callee a batch takes one slot of MaxInflight, like a call. Each
// of its calls is registered as inbound, with a context of its own, when
// the batch arrives: a cancel for it, or its caller being orphaned, ends
// that context, and a call whose context has ended before its turn is
// answered without running. Each call is served by the handler exactly
// as a single call is (ServeCall): the same rules, the same checks.
//
// The replies wait for the whole batch, so their total is bounded by the
// caller's MaxFrameSize: a reply that would not fit, with room kept for
// the shortest answer to every call after it, is replaced by a
// CodeResultLimit error for that call alone.

// BatchReceiver learns, once, how a batch ended.
type BatchReceiver interface {
	// BatchReply gets the reply frame, which it then owns, decoded into
	// r (r.Parts are slices of f: one per call, checked against this
	// side's limits), or why there is none (an *objerr.Error). It runs
	// on the goroutine that settled the batch, and must not block.
	BatchReply(f *wire.Frame, r *wire.BatchReturn, err error)
}

// SendBatch sends calls, KindCall buffers that it consumes, as one
// batch frame, and returns once it is written, with the id of the first
// call (the others follow in order). r is told how the batch ended,
// later, unless SendBatch returns an error. A batch larger than the
// peer's MaxFrameSize is refused before anything is sent, with
// objerr.CodeLimit, not sent. A batch takes one place of MaxOutstanding,
// and waits for it as StartCall does.
func (c *Conn) SendBatch(ctx context.Context, flags wire.BatchFlags, calls []*wire.Buffer, a *Async, r BatchReceiver) (first uint64, err error) {
	release := func() {
		for _, b := range calls {
			b.Release()
		}
	}
	if c.Err() != nil {
		release()
		return 0, c.lost(objerr.KindNotSent)
	}
	n := len(calls)
	id := c.nextID.Add(uint64(n)+1) - uint64(n)
	b := wire.GetBuffer(wire.KindBatch)
	e := wire.NewEncoder(b)
	err = wire.PutBatch(b, e, id, flags, calls)
	e.Release()
	release()
	if err != nil {
		b.Release()
		code := objerr.CodeEncoding
		if errors.Is(err, wire.ErrLimit) {
			code = objerr.CodeLimit
		}
		return 0, &objerr.Error{Kind: objerr.KindNotSent, Code: code, Reason: "batch", Err: err}
	}
	if size := len(b.B) - 4; size > c.peerMax {
		b.Release()
		return 0, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeLimit,
			Reason: fmt.Sprintf("the batch of %d calls takes %d bytes, more than the %d bytes %s accepts in one frame (its MaxFrameSize): send fewer calls in each batch",
				n, size, c.peerMax, c.nc.RemoteAddr())}
	}
	if err := c.acquire(ctx); err != nil {
		b.Release()
		return 0, err
	}
	a.batch, a.n, a.ctx = r, n, ctx
	return id + 1, c.launch(ctx, b, a, id)
}

// batchReply hands a batch's reply to its receiver, after checking every
// reply in it as a single reply is checked.
func (c *Conn) batchReply(f *wire.Frame) error {
	var r wire.BatchReturn
	if err := wire.ReadBatchReturn(f.Body(), &r); err != nil {
		f.Release()
		return err
	}
	for i, part := range r.Parts {
		if part == nil {
			continue
		}
		want := r.ID + 1 + uint64(i)
		if err := c.checkPart(part, want); err != nil {
			if !errors.Is(err, wire.ErrLimit) {
				f.Release()
				return fmt.Errorf("reply to batch %d: %w", r.ID, err)
			}
			// As for a single reply: the method ran, but its result is
			// more than this side takes. That call alone fails.
			b := wire.ErrorReply(want, objerr.CodeResultLimit, &wire.ErrorBody{Message: fmt.Sprintf(
				"the method ran, but its result was refused here: %v", err)})
			r.Parts[i] = append([]byte(nil), b.B[5:]...)
			b.Release()
		}
	}
	c.mu.Lock()
	p := c.pending[r.ID]
	if p == nil {
		c.mu.Unlock()
		f.Release() // the batch was settled already (its connection...)
		return nil
	}
	if p.async == nil || p.async.batch == nil {
		c.mu.Unlock()
		f.Release()
		return fmt.Errorf("a batch reply to call %d, which is not a batch", r.ID)
	}
	a := p.async
	if r.Code == 0 && len(r.Parts) != a.n {
		c.mu.Unlock()
		f.Release()
		return fmt.Errorf("the reply to batch %d has %d parts for %d calls", r.ID, len(r.Parts), a.n)
	}
	delete(c.pending, r.ID)
	c.mu.Unlock()
	c.unregistered(a)
	a.batch.BatchReply(f, &r, nil)
	return nil
}

// checkPart checks one reply of a batch: a reply to call want, within
// this side's limits.
func (c *Conn) checkPart(part []byte, want uint64) error {
	d := wire.NewDecoder(part)
	defer d.Release()
	var h wire.ReturnHeader
	if err := wire.ReadReturn(d, &h); err != nil {
		return fmt.Errorf("reply header: %w", err)
	}
	if h.ID != want {
		return fmt.Errorf("the reply to call %d is in the place of call %d", h.ID, want)
	}
	if err := d.Validate(c.cfg.Limits); err != nil {
		return fmt.Errorf("reply to call %d: %w", h.ID, err)
	}
	return nil
}

// batchCall is one call of a batch being served.
type batchCall struct {
	h      wire.CallHeader
	args   []byte // the argument list
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   func()
}

// limitNote answers a call of a batch whose reply would not fit in the
// caller's MaxFrameSize. It is short: room is kept for it for every call.
const limitNote = "the method ran, but the batch's replies would exceed the caller's MaxFrameSize: this result was not sent"

// startBatch checks a batch, registers its calls and hands it to a
// worker. Like startCall, it never waits for the socket.
func (c *Conn) startBatch(f *wire.Frame) error {
	var bt wire.Batch
	if err := wire.ReadBatch(f.Body(), &bt); err != nil {
		f.Release()
		if errors.Is(err, wire.ErrLimit) {
			c.refuseBatch(bt.ID, err)
			return errRefused
		}
		return err
	}
	calls := make([]batchCall, len(bt.Calls))
	for i, p := range bt.Calls {
		bc := &calls[i]
		d := wire.NewDecoder(p)
		err := wire.ReadCall(d, &bc.h)
		if err != nil {
			err = fmt.Errorf("call header: %w", err)
		} else if err = d.Validate(c.cfg.Limits); err != nil {
			err = fmt.Errorf("arguments: %w", err)
		} else {
			bc.args = p[len(p)-d.Remaining():]
		}
		d.Release()
		if err == nil {
			continue
		}
		f.Release()
		if errors.Is(err, wire.ErrLimit) {
			c.refuseBatch(bt.ID, fmt.Errorf("call %d: %w", bc.h.ID, err))
			return errRefused
		}
		return fmt.Errorf("batch %d, call %d: %w", bt.ID, i, err)
	}
	// Room for the shortest reply to every call: else even a batch of
	// refusals could not reach the caller.
	note := wire.ErrorReply(0, objerr.CodeResultLimit, &wire.ErrorBody{Message: limitNote})
	noteLen := wire.PartSize(len(note.B) - 5)
	note.Release()
	if need := 32 + len(calls)*noteLen; need > c.peerMax {
		f.Release()
		c.refuseBatch(bt.ID, fmt.Errorf("%w: the replies to %d calls cannot fit in the %d bytes the caller accepts in one frame (its MaxFrameSize)",
			wire.ErrLimit, len(calls), c.peerMax))
		return errRefused
	}
	c.used.Add(1)
	select {
	case c.slots <- struct{}{}:
	default:
		f.Release()
		if !c.owe(owedFrame{id: bt.ID, batch: true}) {
			return fmt.Errorf("%d refusals owed to a peer that keeps calling without reading them", maxOwed)
		}
		return nil
	}
	now := time.Now()
	for i := range calls {
		bc := &calls[i]
		var ctx context.Context
		ctx, bc.cancel = context.WithCancelCause(c.parent)
		bc.ctx, bc.stop = ctx, func() {}
		if bc.h.Timeout > 0 {
			// The deadline runs from the batch's arrival, as the
			// caller's did from its sending.
			cc := newCallCtx(ctx, bc.cancel, time.Duration(bc.h.Timeout))
			cc.deadline = now.Add(time.Duration(bc.h.Timeout))
			bc.ctx, bc.stop = cc, cc.stop
		}
	}
	c.mu.Lock()
	for i := range calls {
		if _, dup := c.inbound[calls[i].h.ID]; dup {
			c.mu.Unlock()
			for j := range calls {
				calls[j].cancel(nil)
			}
			<-c.slots
			f.Release()
			return fmt.Errorf("batch %d: call id %d is already in use by a call in flight", bt.ID, calls[i].h.ID)
		}
	}
	for i := range calls {
		c.inbound[calls[i].h.ID] = inboundCall{cancel: calls[i].cancel, oneWay: calls[i].h.Flags&wire.FlagNoReply != 0}
	}
	c.mu.Unlock()
	c.busy.Add(1)
	c.run(func() {
		reply := c.serveBatch(&bt, calls, noteLen)
		c.busy.Add(-1)
		f.Release()
		c.used.Add(1)
		freed := false
		free := func() { freed = true; <-c.slots }
		c.send(context.Background(), reply.Bytes(), 0, free)
		reply.Release()
		if !freed {
			free()
		}
	})
	return nil
}

// serveBatch runs a batch's calls in order and returns the batch's
// reply frame.
func (c *Conn) serveBatch(bt *wire.Batch, calls []batchCall, noteLen int) *wire.Buffer {
	out := wire.GetBuffer(wire.KindBatchReturn)
	e := wire.NewEncoder(out)
	defer e.Release()
	wire.PutBatchReturn(out, e, bt.ID, len(calls))
	stopped := -1 // the call that stopped the batch
	for i := range calls {
		bc := &calls[i]
		reply, ran := c.serveInBatch(bt, bc, stopped)
		c.mu.Lock()
		delete(c.inbound, bc.h.ID)
		c.mu.Unlock()
		bc.stop()
		bc.cancel(nil)
		if bc.h.Flags&wire.FlagNoReply != 0 {
			// One-way: the handler has logged a failure; the caller
			// hears nothing of it, and the batch goes on.
			if reply != nil {
				reply.Release()
			}
			wire.PutPart(out, e, nil)
			continue
		}
		if reply == nil {
			reply = wire.ErrorReply(bc.h.ID, objerr.CodeUnknown, &wire.ErrorBody{Message: "the call was served without a reply"})
		}
		body := reply.B[5:]
		room := c.peerMax - (len(out.B) - 4) - (len(calls)-i-1)*noteLen
		if wire.PartSize(len(body)) > room {
			c.cfg.Logger.Info("objrmi: a batch's replies would exceed the caller's MaxFrameSize; answering a call with an error",
				"peer", c.nc.RemoteAddr().String(), "call", bc.h.ID, "bytes", len(body), "peer_max", c.peerMax)
			code, msg := objerr.CodeResultLimit, limitNote
			if !ran { // its refusal, shorter than the note
				code, msg = objerr.Code(body[idLenOf]&0x7f), "not run"
			}
			reply.Release()
			reply = wire.ErrorReply(bc.h.ID, code, &wire.ErrorBody{Message: msg})
			body = reply.B[5:]
		}
		if stopped < 0 && bt.Flags&wire.BatchStopOnError != 0 && body[idLenOf] != 0 {
			stopped = i
		}
		wire.PutPart(out, e, body)
		reply.Release()
	}
	return out
}

// idLenOf is where a reply's code sits in its body: after the fixed id.
const idLenOf = 9

// serveInBatch runs one call of a batch, or answers it without running
// it (ran is false): when the batch stopped before it, its context ended
// before its turn, or it asks for what a batch cannot give.
func (c *Conn) serveInBatch(bt *wire.Batch, bc *batchCall, stopped int) (reply *wire.Buffer, ran bool) {
	switch {
	case stopped >= 0:
		return wire.ErrorReply(bc.h.ID, objerr.CodeBatchStopped, &wire.ErrorBody{Message: fmt.Sprintf(
			"not run: call %d of batch %d failed, and the batch stops at the first error", bt.ID+1+uint64(stopped), bt.ID)}), false
	case bc.ctx.Err() != nil:
		code := objerr.CodeCanceled
		if errors.Is(bc.ctx.Err(), context.DeadlineExceeded) {
			code = objerr.CodeDeadlineExceeded
		}
		return wire.ErrorReply(bc.h.ID, code, &wire.ErrorBody{Message: fmt.Sprintf(
			"not run: its context ended before its turn in the batch: %v", context.Cause(bc.ctx))}), false
	case bc.h.Flags&wire.FlagStream != 0:
		return wire.ErrorReply(bc.h.ID, objerr.CodeUnsupported, &wire.ErrorBody{
			Message: "a stream cannot be part of a batch: call it on its own"}), false
	}
	d := wire.NewDecoder(bc.args)
	defer d.Release()
	return c.handler.ServeCall(bc.ctx, c, &bc.h, d), true
}

// refuseBatch answers batch id with a limit error, as its connection's
// last frame (see refuseCall): none of its calls ran.
func (c *Conn) refuseBatch(id uint64, err error) {
	cause := fmt.Errorf("%w: %w", objerr.ErrProtocol, err)
	c.cfg.Logger.Warn("objrmi: closing connection: limit exceeded",
		"peer", c.nc.RemoteAddr().String(), "err", err)
	c.oweLast(wire.BatchError(id, objerr.CodeLimit, &wire.ErrorBody{Message: "batch refused, none of its calls ran: " + err.Error()}), cause)
}

package transport

import (
	"context"
	"errors"
	"fmt"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Async calls. StartCall writes a call on the caller's goroutine, as
// Call does, and returns once it is written; no goroutine waits for the
// reply. The call's pending entry keeps its Async, and whoever removes
// the entry from c.pending, under c.mu, settles the call and tells its
// receiver, exactly once:
//
//   - the reader, when the reply arrives (asyncReply, batchReply);
//   - failAsync, when the connection dies: outcome unknown;
//   - the end of the call's context (context.AfterFunc), or Cancel: the
//     callee is sent a cancel, and the call is outcome unknown;
//   - StartCall itself, when the write failed: the receiver is not told,
//     and StartCall returns the error.
//
// failAsync settles an entry only once it is marked sent (under c.mu,
// after its write): a call whose write is still under way when the
// connection dies is StartCall's to withdraw, so that it fails as not
// sent when it surely never left.
//
// MaxOutstanding bounds the async calls and batches awaiting replies: a
// token of c.outstanding is taken before the write and given back when
// the entry is removed. In a burst of async calls, the flush is left to
// the heartbeat goroutine (writeBehind).

// Receiver learns, once, how an async call ended.
type Receiver interface {
	// Reply gets the reply frame, which it then owns, or why there is
	// none (an *objerr.Error). It runs on the goroutine that settled the
	// call: the connection's reader, the one that saw the connection die,
	// or the one the end of the call's context started. It must not block.
	Reply(f *wire.Frame, err error)
}

// Async is one async call or batch on a connection. Its zero value is
// ready for StartCall or SendBatch; it must not be reused.
type Async struct {
	c    *Conn
	id   uint64
	p    *pending
	sent bool // guarded by c.mu: written, so failAsync may settle it
	ctx  context.Context
	stop func() bool // ends the watch on ctx; guarded like sent
	r    Receiver
	// batch, for a batch, is told instead of r, and n is its calls.
	batch BatchReceiver
	n     int
}

// StartCall sends a KindCall buffer (consumed) and returns once it is
// written, without waiting for the reply: r is told how the call ended,
// later. If StartCall returns an error, the call was not made, or failed
// before it could be awaited, and r is never told.
//
// StartCall first takes one of MaxOutstanding places. With none free it
// waits for one, as long as ctx allows; if ctx ends first the call fails
// as not sent (objerr.CodeCanceled or CodeDeadlineExceeded, with a
// reason that names MaxOutstanding). When ctx ends after the write, the
// callee is sent a cancel and r is told the outcome is unknown.
func (c *Conn) StartCall(ctx context.Context, b *wire.Buffer, a *Async, r Receiver) error {
	if err := c.sendable(b); err != nil {
		return err
	}
	if err := c.acquire(ctx); err != nil {
		b.Release()
		return err
	}
	a.r, a.ctx = r, ctx
	id := c.nextID.Add(1)
	b.SetID(id)
	return c.launch(ctx, b, a, id)
}

// acquire takes an outstanding place, waiting for one while ctx allows.
func (c *Conn) acquire(ctx context.Context) error {
	select {
	case c.outstanding <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.outstanding <- struct{}{}:
		return nil
	case <-c.done:
		return c.lost(objerr.KindNotSent)
	case <-ctx.Done():
		err := ContextError(objerr.KindNotSent, ctx).(*objerr.Error)
		err.Reason = fmt.Sprintf("it waited for one of the %d calls outstanding on the connection to %s to end (MaxOutstanding)",
			cap(c.outstanding), c.peerName())
		return err
	}
}

// launch registers a (holding a place) as the pending entry id, writes
// b, and arms the watch on ctx.
func (c *Conn) launch(ctx context.Context, b *wire.Buffer, a *Async, id uint64) error {
	p := pendingPool.Get().(*pending)
	p.async = a
	// An Async is launched again only after it failed unsent (a retry
	// on a new connection): nothing of that attempt remains.
	a.c, a.id, a.p, a.sent, a.stop = c, id, p, false, nil
	c.used.Add(1)
	c.mu.Lock()
	if c.Err() != nil {
		c.mu.Unlock()
		c.unregistered(a)
		b.Release()
		return c.lost(objerr.KindNotSent)
	}
	c.pending[id] = p
	c.mu.Unlock()

	c.busy.Add(1)
	var err error
	if a.batch == nil && len(c.outstanding) > 1 {
		err = c.writeBehind(ctx, b)
	} else {
		err = c.write(ctx, b, 1)
	}
	c.busy.Add(-1)
	if err != nil {
		if !c.withdraw(a) {
			return nil // settled meanwhile: the receiver was told
		}
		if errors.Is(err, errNotWritten) {
			if ctx.Err() != nil && c.Err() == nil {
				return ContextError(objerr.KindNotSent, ctx)
			}
			return c.lost(objerr.KindNotSent)
		}
		return c.lost(objerr.KindOutcomeUnknown)
	}
	c.mu.Lock()
	if c.pending[id] != p {
		c.mu.Unlock()
		return nil // the reply came already
	}
	if c.Err() != nil {
		// failAsync ran while the call was being written, and left it
		// to this goroutine.
		delete(c.pending, id)
		c.mu.Unlock()
		c.unregistered(a)
		return c.lost(objerr.KindOutcomeUnknown)
	}
	a.sent = true
	if a.batch == nil && ctx.Done() != nil {
		// Under c.mu, so that whoever settles the call sees stop set.
		// AfterFunc calls expire on a goroutine of its own, never here.
		a.stop = context.AfterFunc(ctx, a.expire)
	}
	c.mu.Unlock()
	return nil
}

// withdraw removes a's entry if it is still there, and reports whether
// it was: then a is the caller's to settle.
func (c *Conn) withdraw(a *Async) bool {
	c.mu.Lock()
	p, ok := c.pending[a.id]
	mine := ok && p == a.p
	if mine {
		delete(c.pending, a.id)
	}
	c.mu.Unlock()
	if mine {
		c.unregistered(a)
	}
	return mine
}

// unregistered gives back what a held once its entry is gone: its
// place, its pending entry and its watch on ctx.
func (c *Conn) unregistered(a *Async) {
	a.p.async = nil
	pendingPool.Put(a.p)
	<-c.outstanding
	if a.stop != nil {
		a.stop()
	}
	c.used.Add(1)
}

// asyncReply hands the reply to a single async call to its receiver;
// the reader removed p from c.pending.
func (c *Conn) asyncReply(p *pending, f *wire.Frame) error {
	a := p.async
	c.unregistered(a)
	if a.batch != nil {
		err := fmt.Errorf("a plain reply to batch %d", a.id)
		a.batch.BatchReply(nil, nil, &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeProtocol, Err: err})
		f.Release()
		return err
	}
	a.r.Reply(f, nil)
	return nil
}

// failAsync settles every async call and batch that was sent, once the
// connection is dead: the outcome is unknown.
func (c *Conn) failAsync() {
	c.mu.Lock()
	var dead []*Async
	for id, p := range c.pending {
		if p.async != nil && p.async.sent {
			dead = append(dead, p.async)
			delete(c.pending, id)
		}
	}
	c.mu.Unlock()
	for _, a := range dead {
		c.unregistered(a)
		a.tell(c.lost(objerr.KindOutcomeUnknown))
	}
}

// tell settles a with err.
func (a *Async) tell(err error) {
	if a.batch != nil {
		a.batch.BatchReply(nil, nil, err)
		return
	}
	a.r.Reply(nil, err)
}

// expire runs once the call's context has ended: the callee is told to
// cancel, and the caller that the outcome is unknown.
func (a *Async) expire() {
	a.abandon(CancelReason(a.ctx), ContextError(objerr.KindOutcomeUnknown, a.ctx))
}

// Cancel gives up on the call: the callee is sent a cancel, and the
// receiver is told the outcome is unknown (objerr.CodeCanceled, wrapping
// context.Canceled), unless the call had ended already.
func (a *Async) Cancel() {
	a.abandon(wire.CancelCaller, &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeCanceled,
		Reason: "the caller cancelled it", Err: context.Canceled})
}

func (a *Async) abandon(why wire.CancelReason, err error) {
	c := a.c
	if c == nil || !c.withdraw(a) {
		return
	}
	c.sendCancel(a.id, why)
	a.tell(err)
}

// Cancel tells the peer to cancel its call id, one of this side's calls
// (of a batch: Async.Cancel cancels a single call). It never blocks.
func (c *Conn) Cancel(id uint64, why wire.CancelReason) { c.sendCancel(id, why) }

// CancelReason says why a call whose context ended is cancelled, so
// that the callee's context carries the same cause.
func CancelReason(ctx context.Context) wire.CancelReason {
	switch {
	case errors.Is(context.Cause(ctx), objerr.ErrOrphaned):
		return wire.CancelOrphaned // the peer's method is an orphan too
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return wire.CancelDeadline // the method's context says so too
	}
	return wire.CancelCaller
}

// writeBehind is write for an async call made while others are
// outstanding, as in a burst of them: it leaves the flush, if it would
// fall to this writer, to the heartbeat goroutine, which the writer
// wakes. The caller, which does not wait for the reply, need not wait
// for the syscall either, and a burst of calls leaves in a few syscalls
// rather than one each. (The first call of a burst flushes at once.) A
// flush that fails kills the connection, and the call is outcome unknown.
func (c *Conn) writeBehind(ctx context.Context, b *wire.Buffer) error {
	defer b.Release()
	w := &c.w
	w.queued.Add(1)
	select {
	case w.lock <- struct{}{}:
	default:
		select {
		case w.lock <- struct{}{}:
		case <-c.done:
			c.abandon()
			return errNotWritten
		case <-ctx.Done():
			c.abandon()
			return errNotWritten
		}
	}
	if c.Err() != nil {
		<-w.lock
		c.abandon()
		return errNotWritten
	}
	err := c.writeLocked(b.Bytes())
	last := w.queued.Add(-1) == 0
	w.wrote.Store(true)
	<-w.lock
	if err != nil {
		c.writeFailed(err)
		return err
	}
	if last {
		w.behind.Store(true)
		c.wakeHeartbeat()
	}
	return nil
}

// flushBehind flushes what writeBehind left, on a beat task.
// If writers are queued, the last of them flushes instead.
func (c *Conn) flushBehind() {
	w := &c.w
	w.queued.Add(1)
	select {
	case w.lock <- struct{}{}:
	case <-c.done:
		w.queued.Add(-1)
		return
	}
	var err error
	if w.queued.Add(-1) == 0 {
		err = c.flushLocked()
	}
	<-w.lock
	if err != nil {
		c.writeFailed(err)
	}
}

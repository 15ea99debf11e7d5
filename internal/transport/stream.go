package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Streams (see internal/wire/stream.go for the frames).
//
// The callee's side is a StreamOut, made by startCall for a call with
// wire.FlagStream and found by the skeleton in the call's context
// (StreamOf). The method's worker pulls the iterator and sends each item
// itself, after taking one credit: it waits for credit with the call's
// context, so the callee never has more items on their way than the
// caller granted, and holds no item it has not sent. Credit frames are
// applied by the reader, which never blocks: a StreamOut is a counter
// and a wake-up channel.
//
// The caller's side is a StreamIn, made by OpenStream. The reader
// queues each item on it, at most the credit granted, and a peer that
// sends more, or sends items for a call that did not ask for a stream,
// breaks the protocol: the connection closes. An item for a call this
// side gave up on (a stream it cancelled) is dropped. The consumer takes
// items with Next, on its own goroutine, and grants credit back as it
// takes them, so its queue holds at most a window of items, and, once
// item sizes are known, about a window of bytes.

// MaxCredit bounds the credit a callee holds for one stream, whatever
// the caller grants: a window larger than this is clamped to it. A
// callee holds no items for its credit, only the count; the bound keeps
// the count meaningful, and keeps a hostile caller from granting a
// number that wraps.
const MaxCredit = 1 << 16

// Stream windows a caller uses unless told otherwise.
const (
	DefaultStreamItems = 64
	DefaultStreamBytes = 1 << 20
)

// ErrItemTooLarge fails a stream whose next item is larger than the
// caller accepts in one frame: the stream ends, the connection lives.
var ErrItemTooLarge = errors.New("stream item too large for the caller")

type streamKey struct{}

// StreamOut is the callee's side of one stream: the credit its caller
// granted.
type StreamOut struct {
	c      *Conn
	id     uint64
	mu     sync.Mutex
	credit uint64
	wake   chan struct{} // capacity 1: credit arrived

	// held: items may wait in the write buffer, and the timer will flush
	// them (see Send).
	held  atomic.Bool
	timer *time.Timer // the producer's goroutine only
}

// holdFor is the longest an item waits in the write buffer for more
// items to share its syscall. Without it a stream of small items costs
// one write per item, which measured at half the server's CPU.
const holdFor = 50 * time.Microsecond

// StreamOf returns the stream of the inbound call ctx belongs to, or nil
// if the caller did not ask for one.
func StreamOf(ctx context.Context) *StreamOut {
	s, _ := ctx.Value(streamKey{}).(*StreamOut)
	return s
}

// newStreamOut makes the stream of the inbound call h, if it asks for
// one, and the context its method runs in.
func (c *Conn) newStreamOut(ctx context.Context, h *wire.CallHeader) (context.Context, *StreamOut, error) {
	if h.Flags&wire.FlagStream == 0 {
		return ctx, nil, nil
	}
	if h.Flags&wire.FlagNoReply != 0 {
		return ctx, nil, fmt.Errorf("call %d asks for a stream and for no reply", h.ID)
	}
	s := &StreamOut{c: c, id: h.ID, credit: min(h.Credit, MaxCredit), wake: make(chan struct{}, 1)}
	return context.WithValue(ctx, streamKey{}, s), s, nil
}

// grant adds n to the credit, clamped to MaxCredit. It never blocks.
func (s *StreamOut) grant(n uint64) {
	s.mu.Lock()
	s.credit = min(s.credit+min(n, MaxCredit), MaxCredit)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Open tells the caller that the method returned its iterator: the
// caller's call returns, and items follow.
func (s *StreamOut) Open(ctx context.Context) error {
	b := wire.GetBuffer(wire.KindItem)
	wire.PutOpened(b, s.id)
	return s.sent(ctx, s.c.write(ctx, b, 1))
}

// Send sends one item frame, b (a KindItem buffer, which Send consumes),
// once the caller has credit for it. It returns an error wrapping
// ErrItemTooLarge for an item larger than the caller accepts, the
// context's cause if ctx ends first, and a connection error if the
// connection dies: in each case the stream must end.
func (s *StreamOut) Send(ctx context.Context, b *wire.Buffer) error {
	if n := len(b.B) - 4; n > s.c.peerMax {
		b.Release()
		return fmt.Errorf("%w: the item takes %d bytes, more than the %d bytes this caller accepts in one frame (its MaxFrameSize)",
			ErrItemTooLarge, n, s.c.peerMax)
	}
	if ctx.Err() != nil {
		// The caller stopped: not one more item, whatever credit is left.
		b.Release()
		return context.Cause(ctx)
	}
	more := false
	for {
		s.mu.Lock()
		has := s.credit > 0
		if has {
			s.credit--
			more = s.credit > 0
		}
		s.mu.Unlock()
		if has {
			break
		}
		s.flush() // what the caller has credit for reaches it before we wait
		select {
		case <-s.wake:
		case <-ctx.Done():
			b.Release()
			return context.Cause(ctx)
		case <-s.c.done:
			b.Release()
			return s.c.lost(objerr.KindOutcomeUnknown)
		}
	}
	if !more {
		return s.sent(ctx, s.c.write(ctx, b, 1)) // flushes what is held too
	}
	// The caller takes more: the next item may follow at once, so this
	// one may wait in the buffer to share its write, for holdFor at most.
	err := s.c.writeHeld(ctx, b)
	if err == nil && s.held.CompareAndSwap(false, true) {
		if s.timer == nil {
			s.timer = time.AfterFunc(holdFor, s.flushHeld)
		} else {
			s.timer.Reset(holdFor)
		}
	}
	return s.sent(ctx, err)
}

// flush flushes what Send left in the buffer, if anything.
func (s *StreamOut) flush() {
	if s.held.Load() {
		s.flushHeld()
	}
}

func (s *StreamOut) flushHeld() {
	s.held.Store(false)
	s.c.send(context.Background(), nil, 0, nil) // an empty write that flushes
}

// Close ends the stream's timer; the reply that follows flushes what
// is held. The producer's goroutine calls it once the iterator returned.
func (s *StreamOut) Close() {
	if s.timer != nil {
		s.timer.Stop()
	}
}

// writeHeld writes b, which it consumes, as write does, but leaves it in
// the buffer if no other writer is queued to flush it: the caller must
// see that it is flushed.
func (c *Conn) writeHeld(ctx context.Context, b *wire.Buffer) error {
	defer b.Release()
	w := &c.w
	w.queued.Add(1)
	select {
	case w.lock <- struct{}{}:
	case <-c.done:
		c.abandon()
		return errNotWritten
	case <-ctx.Done():
		c.abandon()
		return errNotWritten
	}
	if c.Err() != nil {
		<-w.lock
		c.abandon()
		return errNotWritten
	}
	err := c.writeLocked(b.Bytes())
	w.queued.Add(-1) // a writer still queued flushes at its end
	w.wrote.Store(true)
	<-w.lock
	if err != nil {
		c.writeFailed(err)
	}
	return err
}

// sent turns a write's error into the stream's.
func (s *StreamOut) sent(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errNotWritten) && ctx.Err() != nil && s.c.Err() == nil {
		return context.Cause(ctx)
	}
	return s.c.lost(objerr.KindOutcomeUnknown)
}

// credit applies a credit frame (reader only). Credit for a call that
// is no longer served is dropped: the stream ended while it travelled.
// Credit for a call that is not a stream breaks the protocol.
func (c *Conn) credit(f *wire.Frame) error {
	id, n, err := wire.ReadCredit(f.Body())
	f.Release()
	if err != nil {
		return fmt.Errorf("credit frame: %w", err)
	}
	c.mu.Lock()
	in, ok := c.inbound[id]
	c.mu.Unlock()
	switch {
	case !ok:
		return nil
	case in.stream == nil:
		return fmt.Errorf("credit frame for call %d, which did not ask for a stream", id)
	}
	in.stream.grant(n)
	return nil
}

// StreamIn is the caller's side of one stream: the items received and
// not yet taken, and the credit granted and not yet used.
//
// Everything the reader delivers (the opening, items, and the reply that
// ends the stream) goes through mu, and nothing here ever waits for the
// reader: a stream can be cancelled from any goroutine while its
// consumer waits in Next.
type StreamIn struct {
	c     *Conn
	id    uint64
	items uint64 // the window, in items
	bytes int    // the window, in bytes

	mu      sync.Mutex
	ready   chan struct{} // capacity 1: something arrived
	opened  bool
	q       []*wire.Frame // items received, not yet taken
	reply   *wire.Frame   // the call's reply, which ends the stream
	credit  uint64        // items the callee may still send
	largest int           // the largest item seen, in bytes
	failed  error         // why the stream ended early (an item refused here)
	// finished: the reply was taken, or the stream was cancelled or
	// lost. What arrives afterwards is dropped.
	finished bool
	endErr   error // why Cancel ended it, for a Next that comes after
}

// OpenStream sends a KindCall buffer with wire.FlagStream (b, which it
// consumes) granting items items at first, and waits until the stream
// opens or the call ends. It returns the open stream, or the call's reply
// frame (which the caller must Release) if the call ended without
// opening one: a refusal, or the method's error. bytes bounds the items
// queued here, once their sizes are known; the first window is counted
// in items alone.
func (c *Conn) OpenStream(ctx context.Context, b *wire.Buffer, items uint64, bytes int) (*StreamIn, *wire.Frame, error) {
	if err := c.sendable(b); err != nil {
		return nil, nil, err
	}
	id := c.nextID.Add(1)
	b.SetID(id)
	c.used.Add(1)
	s := &StreamIn{c: c, id: id, items: items, bytes: bytes, credit: items, ready: make(chan struct{}, 1)}
	c.mu.Lock()
	c.pending[id] = &pending{stream: s}
	c.mu.Unlock()

	c.busy.Add(1)
	defer c.busy.Add(-1)
	if err := c.write(ctx, b, 1); err != nil {
		s.lost()
		if errors.Is(err, errNotWritten) {
			if ctx.Err() != nil && c.Err() == nil {
				return nil, nil, ContextError(objerr.KindNotSent, ctx)
			}
			return nil, nil, c.lost(objerr.KindNotSent)
		}
		return nil, nil, c.lost(objerr.KindOutcomeUnknown)
	}
	for {
		s.mu.Lock()
		opened, reply := s.opened, s.reply
		if reply != nil && !opened {
			s.reply, s.finished = nil, true
		}
		s.mu.Unlock()
		switch {
		case opened:
			return s, nil, nil
		case reply != nil:
			return nil, reply, nil
		}
		select {
		case <-s.ready:
		case <-c.done:
			if s.lost() {
				return nil, nil, c.lost(objerr.KindOutcomeUnknown)
			}
			<-s.ready // the reader took the reply, and is delivering it
		case <-ctx.Done():
			s.Cancel(ctx)
			return nil, nil, ContextError(objerr.KindOutcomeUnknown, ctx)
		}
	}
}

// item queues an item frame (reader only).
func (c *Conn) item(f *wire.Frame) error {
	d := wire.NewDecoder(f.Body())
	defer d.Release()
	id, opened, err := wire.ReadItem(d)
	if err != nil {
		f.Release()
		return fmt.Errorf("item frame: %w", err)
	}
	var refused error
	if !opened {
		if err := d.Validate(c.cfg.Limits); err != nil {
			if !errors.Is(err, wire.ErrLimit) {
				f.Release()
				return fmt.Errorf("item of call %d: %w", id, err)
			}
			// Well formed, but more than this side takes: that stream
			// fails, as a reply over a limit fails its call.
			refused = err
		}
	}
	c.mu.Lock()
	p := c.pending[id]
	c.mu.Unlock()
	switch {
	case p == nil:
		f.Release()
		if id == 0 || id > c.nextID.Load() {
			return fmt.Errorf("item frame for call %d, which this side never made", id)
		}
		return nil // a stream this side gave up on: its items are moot
	case p.stream == nil:
		f.Release()
		return fmt.Errorf("item frame for call %d, which did not ask for a stream", id)
	}
	return p.stream.push(f, opened, refused)
}

// push queues f, an item or the opening (reader only). It refuses more
// items than the credit granted.
func (s *StreamIn) push(f *wire.Frame, opened bool, refused error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case opened && s.opened:
		f.Release()
		return fmt.Errorf("stream of call %d opened twice", s.id)
	case opened:
		s.opened = true
		f.Release()
	case !s.opened:
		f.Release()
		return fmt.Errorf("item frame for call %d before its stream opened", s.id)
	case s.credit == 0:
		f.Release()
		return fmt.Errorf("item frame for call %d beyond the credit granted: the callee ignores flow control", s.id)
	case s.finished || s.failed != nil:
		s.credit--
		f.Release() // the consumer is gone, or the stream already failed
		return nil
	case refused != nil:
		s.credit--
		f.Release()
		s.failed = &objerr.Error{Kind: objerr.KindRemote, Code: objerr.CodeResultLimit,
			Reason: fmt.Sprintf("an item of the stream was refused here: %v", refused)}
	default:
		s.credit--
		s.q = append(s.q, f)
		s.largest = max(s.largest, len(f.B))
	}
	s.signal()
	return nil
}

// ended takes the call's reply (reader only): it comes after every item.
func (s *StreamIn) ended(f *wire.Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		f.Release()
		return
	}
	s.reply = f
	s.signal()
}

func (s *StreamIn) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Next waits for the next item frame, which the caller decodes and
// releases; its body starts with the item header (wire.ReadItem). At the
// end of the stream it returns the call's reply frame, with last set,
// which the caller must release too. It returns an error, with last set,
// if ctx ends first (and then cancels the stream), if the connection
// dies, or if an item was refused here (then it cancels the stream).
// Only one goroutine may call Next.
func (s *StreamIn) Next(ctx context.Context) (f *wire.Frame, last bool, err error) {
	for {
		s.mu.Lock()
		if s.finished {
			err := s.endErr
			s.mu.Unlock()
			if err == nil {
				err = errStreamEnded
			}
			return nil, true, err
		}
		if len(s.q) > 0 {
			f = s.q[0]
			s.q[0] = nil
			s.q = s.q[1:]
			grant := s.grant()
			s.mu.Unlock()
			if grant > 0 {
				s.sendCredit(ctx, grant)
			}
			return f, false, nil
		}
		if f = s.reply; f != nil {
			s.reply, s.finished = nil, true
			s.mu.Unlock()
			return f, true, nil
		}
		failed := s.failed
		s.mu.Unlock()
		if failed != nil {
			s.Cancel(ctx)
			return nil, true, failed
		}
		select {
		case <-s.ready:
		case <-s.c.done:
			s.mu.Lock()
			more := len(s.q) > 0 || s.reply != nil
			s.mu.Unlock()
			if more {
				continue // what arrived before the end is delivered first
			}
			if s.lost() {
				return nil, true, s.c.lost(objerr.KindOutcomeUnknown)
			}
			<-s.ready // the reader took the reply, and is delivering it
		case <-ctx.Done():
			s.Cancel(ctx)
			return nil, true, ContextError(objerr.KindOutcomeUnknown, ctx)
		}
	}
}

// errStreamEnded is Next's error after the stream ended: a caller bug.
var errStreamEnded = errors.New("objrmi: the stream has ended")

// errCanceled is Next's error after Cancel, when Cancel's context had
// not ended.
var errCanceled = &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeCanceled,
	Reason: "the stream was cancelled by its consumer", Err: objerr.ErrCallerCanceled}

// grant returns the credit to grant now, if any, and counts it as
// granted; s.mu is held. The target is the item window, shrunk so that
// the items queued and owed fit the byte window when items are large
// (never below one, or the stream would stall). Credit goes back once
// half the target is free, so that a fast consumer costs one credit
// frame per half window, not one per item.
func (s *StreamIn) grant() uint64 {
	target := s.items
	if s.largest > 0 {
		target = min(target, max(uint64(s.bytes/s.largest), 1))
	}
	owed := s.credit + uint64(len(s.q))
	if owed >= target || target-owed < max(target/2, 1) {
		return 0
	}
	s.credit += target - owed
	return target - owed
}

// sendCredit grants n more items. A failed write is the connection's
// failure, which Next reports.
func (s *StreamIn) sendCredit(ctx context.Context, n uint64) {
	b := wire.GetBuffer(wire.KindCredit)
	wire.PutCredit(b, s.id, n)
	s.c.write(ctx, b, 0)
}

// Cancel ends the stream early: the callee's context ends, with a cause
// that says why ctx ended (ErrCallerCanceled if it has not). Items
// queued are dropped. It is safe to call at any time, from any
// goroutine, more than once; once the stream has ended it does nothing.
func (s *StreamIn) Cancel(ctx context.Context) {
	var why error = errCanceled
	if ctx != nil && ctx.Err() != nil {
		why = ContextError(objerr.KindOutcomeUnknown, ctx)
	}
	s.mu.Lock()
	if !s.finished {
		s.endErr = why
	}
	s.mu.Unlock()
	if s.finish() {
		return
	}
	s.c.mu.Lock()
	_, mine := s.c.pending[s.id]
	delete(s.c.pending, s.id)
	s.c.mu.Unlock()
	if mine {
		// Not ended yet: the callee must stop. (Otherwise the reply
		// is in the reader's hands, and ended drops it.)
		s.c.used.Add(1)
		s.c.sendCancel(s.id, cancelReason(ctx))
	}
}

// lost forgets the call after the connection died, and ends the stream
// unless its reply is on its way (the reader took it, and delivers it
// without waiting): it reports whether it ended it.
func (s *StreamIn) lost() bool {
	s.c.mu.Lock()
	_, mine := s.c.pending[s.id]
	delete(s.c.pending, s.id)
	s.c.mu.Unlock()
	if !mine {
		return false
	}
	s.c.used.Add(1)
	s.finish()
	return true
}

// finish marks the stream finished and drops what is queued. It reports
// whether it already was.
func (s *StreamIn) finish() (already bool) {
	s.mu.Lock()
	already, s.finished = s.finished, true
	q, reply := s.q, s.reply
	s.q, s.reply = nil, nil
	s.signal() // a Next waiting for the reply must see the end instead
	s.mu.Unlock()
	for _, f := range q {
		f.Release()
	}
	if reply != nil {
		reply.Release()
	}
	return already
}

// cancelReason says why ctx ended, for the callee's context.
func cancelReason(ctx context.Context) wire.CancelReason {
	switch {
	case ctx == nil || ctx.Err() == nil:
		return wire.CancelCaller
	case errors.Is(context.Cause(ctx), objerr.ErrOrphaned):
		return wire.CancelOrphaned
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return wire.CancelDeadline
	}
	return wire.CancelCaller
}

package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// writer is a connection's outgoing side. Whoever has a frame to send
// writes it: a caller its call, a method's goroutine its reply. Writers
// queue on a lock, and only the last one queued flushes, so a burst of
// frames from many goroutines shares one syscall while a lone caller
// pays no goroutine hand-off.
type writer struct {
	lock   chan struct{} // capacity 1: a lock a waiter can give up on
	bw     connWriter
	queued atomic.Int32 // writers holding or waiting for lock
	wrote  atomic.Bool  // a frame went out since the hub last looked
	behind atomic.Bool  // a flush is left to a beat task (see writeBehind)
	dl     deadline     // guarded by lock
}

func (w *writer) init(nc net.Conn) {
	w.lock = make(chan struct{}, 1)
	w.bw.nc = nc
}

// errNotWritten says a frame never reached the socket: its call was not
// sent.
var errNotWritten = errors.New("frame not written")

// write sends b, which it consumes. It returns errNotWritten if ctx ended
// or the connection died before b was written; any other error means the
// connection failed with b possibly on the wire. self is how many of the
// busy calls are the writer's own.
func (c *Conn) write(ctx context.Context, b *wire.Buffer, self int32) error {
	err := c.send(ctx, b.Bytes(), self, nil)
	b.Release()
	return err
}

// send writes p, one or more whole frames, as write does. onLock, if
// set, runs once this writer holds the lock, before any of p can reach
// the peer.
func (c *Conn) send(ctx context.Context, p []byte, self int32, onLock func()) error {
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
	if onLock != nil {
		onLock()
	}
	err := c.writeLocked(p)
	if err == nil && w.queued.Load() == 1 && c.busy.Load() > self {
		// Other calls are under way and may be about to write: let them
		// run first, so that they queue behind this writer and one flush
		// carries them all. A lone sequential caller never pays this.
		runtime.Gosched()
	}
	if w.queued.Add(-1) == 0 && err == nil {
		err = c.flushLocked()
	}
	w.wrote.Store(true)
	<-w.lock
	if err != nil {
		c.writeFailed(err)
	}
	return err
}

// writeChunk is the most written under one deadline: a large frame
// goes out in chunks, each with a fresh deadline, so that a peer that
// reads slowly but steadily keeps its connection, and one that stops
// reading loses it within HeartbeatTimeout.
const writeChunk = 64 << 10

// writeLocked puts p into the buffer, or straight onto the socket for a
// large frame; the caller holds the lock. Every socket write that
// happens here carries a fresh deadline.
func (c *Conn) writeLocked(p []byte) error {
	for len(p) > 0 {
		n := min(len(p), writeChunk)
		if n > c.w.bw.Available() {
			// The buffer will reach the socket during this write.
			c.w.dl.extend(c.nc.SetWriteDeadline, c.cfg.HeartbeatTimeout)
		}
		if _, err := c.w.bw.Write(p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// writeFailed kills the connection after a failed write, saying so in
// the log once if the peer had stopped reading.
func (c *Conn) writeFailed(err error) {
	ne, ok := errors.AsType[net.Error](err)
	stalled := ok && ne.Timeout()
	if stalled {
		err = fmt.Errorf("the peer read nothing for %s: %w", c.cfg.HeartbeatTimeout, err)
	}
	if c.failFirst(fmt.Errorf("%w: write: %w", objerr.ErrPeerGone, err)) && stalled {
		c.cfg.Logger.Info("objrmi: closing connection: HeartbeatTimeout: the peer stopped reading (no write progress in time)",
			"peer", c.nc.RemoteAddr().String(), "timeout", c.cfg.HeartbeatTimeout)
	}
}

// abandon leaves the write queue without writing. Writers ahead may have
// left the flush to this one, so the last to leave flushes.
func (c *Conn) abandon() {
	w := &c.w
	if w.queued.Add(-1) != 0 {
		return
	}
	select {
	case w.lock <- struct{}{}:
	case <-c.done:
		return
	}
	var err error
	if w.queued.Load() == 0 {
		err = c.flushLocked()
	}
	<-w.lock
	if err != nil {
		c.writeFailed(err)
	}
}

// flushLocked sends what is buffered; the caller holds the lock. A peer
// that stops reading fails it after HeartbeatTimeout.
func (c *Conn) flushLocked() error {
	if c.w.bw.Buffered() == 0 {
		return nil
	}
	c.w.dl.extend(c.nc.SetWriteDeadline, c.cfg.HeartbeatTimeout)
	return c.w.bw.Flush()
}

// deadline keeps a socket deadline at least timeout ahead without
// resetting it for every frame: it moves the deadline only once the
// margin it added has been used up, a 64th of timeout, so a timeout is
// never shorter than configured and at most that much longer.
type deadline struct{ at time.Time }

func (d *deadline) extend(set func(time.Time) error, timeout time.Duration) {
	now := time.Now()
	if d.at.Sub(now) >= timeout {
		return
	}
	d.at = now.Add(timeout + timeout/64)
	set(d.at)
}

// maxOwed bounds the frames owed to the peer and not yet written. Each
// costs 16 bytes until a beat task writes it, so a healthy peer's burst
// of calls past MaxInflight fits many times over; a peer that keeps
// sending calls it must be refused, while reading none of the refusals,
// is cut off rather than queued for.
const maxOwed = 1 << 16

// owedPiece is the most of the owed frames written at once.
const owedPiece = 32 << 10

// owedFrame is a small frame the peer is owed: a cancel of one of this
// side's calls, or the refusal of one of the peer's, "overloaded".
type owedFrame struct {
	id     uint64
	cancel bool
	why    wire.CancelReason
	batch  bool // the refusal of a batch, not of a call
}

// owe queues f for a beat task to write, and asks for one. It never
// blocks; it reports false if the queue is full.
func (c *Conn) owe(f owedFrame) bool {
	c.mu.Lock()
	full := len(c.owed) >= maxOwed
	if !full {
		c.owed = append(c.owed, f)
	}
	c.mu.Unlock()
	if !full {
		c.wakeHeartbeat()
	}
	return !full
}

// oweLast queues b, a refusal for a broken limit, as the connection's
// last frame: once a beat task has written it, the connection closes
// with cause.
func (c *Conn) oweLast(b *wire.Buffer, cause error) {
	c.mu.Lock()
	if c.last != nil {
		c.mu.Unlock()
		b.Release()
		return
	}
	c.last, c.lastCause = b, cause
	c.mu.Unlock()
	c.wakeHeartbeat()
}

func (c *Conn) wakeHeartbeat() { c.beat(beatOwed) }

// sendCancel tells the peer to cancel call id. It never blocks.
func (c *Conn) sendCancel(id uint64, why wire.CancelReason) {
	if !c.owe(owedFrame{id: id, cancel: true, why: why}) {
		// As many cancels owed as the peer has calls of ours, and it
		// reads none of them: the connection is as good as dead.
		c.fail(fmt.Errorf("%w: %d frames owed to a peer that does not read them", objerr.ErrPeerGone, maxOwed))
	}
}

// writeOwed writes the frames owed to the peer, all of them in one
// batch, then the last frame if one is owed.
func (c *Conn) writeOwed() {
	if c.w.behind.Swap(false) {
		c.flushBehind()
	}
	c.mu.Lock()
	owed, last, cause := c.owed, c.last, c.lastCause
	c.owed, c.last = nil, nil
	c.mu.Unlock()
	// In pieces of at most owedPiece bytes: the queue costs 16 bytes a
	// frame, and must not turn into ~120 bytes a frame, all held at once
	// while a peer that reads nothing keeps the write waiting.
	var batch []byte
	for i, f := range owed {
		b := f.frame(c.cfg.MaxInflight)
		batch = append(batch, b.Bytes()...)
		b.Release()
		if len(batch) < owedPiece && i < len(owed)-1 {
			continue
		}
		if c.send(context.Background(), batch, 0, nil) != nil {
			if last != nil {
				last.Release()
			}
			return
		}
		batch = batch[:0]
	}
	if last != nil && c.write(context.Background(), last, 0) == nil {
		c.fail(cause)
	}
}

// frame builds the frame f stands for.
func (f owedFrame) frame(maxInflight int) *wire.Buffer {
	if f.cancel {
		b := wire.GetBuffer(wire.KindCancel)
		wire.PutCancel(b, f.id, f.why)
		return b
	}
	body := &wire.ErrorBody{Message: fmt.Sprintf(
		"%d calls already in flight on this connection, or their replies not yet read (MaxInflight): retry later", maxInflight),
		RetryAfter: int64(overloadRetryAfter)}
	if f.batch {
		return wire.BatchError(f.id, objerr.CodeOverloaded, body)
	}
	return wire.ErrorReply(f.id, objerr.CodeOverloaded, body)
}

// minPingEvery is the most often a connection pings, whatever either
// side asks for.
const minPingEvery = 10 * time.Millisecond

// ErrIdle is why a connection closed by IdleTimeout died.
var ErrIdle = errors.New("objrmi: connection closed: idle for longer than IdleTimeout")

// idleTooLong closes the connection if no call has used it for
// IdleTimeout (the hub saw it unused since idleSince) and none is in
// flight.
func (c *Conn) idleTooLong() bool {
	if c.cfg.IdleTimeout <= 0 || c.used.Load() != c.idleUsed.Load() ||
		time.Since(time.Unix(0, c.idleSince.Load())) < c.cfg.IdleTimeout {
		return false
	}
	if serving, waiting := c.Inflight(); serving+waiting > 0 {
		return false
	}
	c.cfg.Logger.Info("objrmi: closing connection: IdleTimeout",
		"peer", c.nc.RemoteAddr().String(), "idle", c.cfg.IdleTimeout)
	c.fail(ErrIdle)
	return true
}

package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Config bounds and times one connection. Zero fields take defaults.
type Config struct {
	MaxFrameSize      int           // largest frame accepted; default 16 MiB
	HeartbeatInterval time.Duration // ping after this much write silence; default 5 s
	HeartbeatTimeout  time.Duration // peer is dead after this much read silence; default 20 s
	MaxInflight       int           // inbound calls served at once; default 1024
	// MaxOutstanding bounds this side's async calls and batches awaiting
	// their replies (see StartCall); default 1024.
	MaxOutstanding int
	// IdleTimeout closes a connection that has carried no call, in either
	// direction, for this long; 0 never does. Pings do not count, so a
	// peer cannot hold a socket open by pinging alone.
	IdleTimeout time.Duration
	Limits      wire.Limits  // argument and result shape; zero fields take wire's defaults
	Logger      *slog.Logger // default: discard
	// Hub drives the connection's heartbeat and runs its workers; nil
	// gives the connection a hub of its own, closed with it.
	Hub *Hub
}

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = 16 << 20
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 5 * time.Second
	}
	if c.HeartbeatTimeout <= 0 {
		c.HeartbeatTimeout = 4 * c.HeartbeatInterval
	}
	if c.MaxInflight <= 0 {
		c.MaxInflight = 1024
	}
	if c.MaxOutstanding <= 0 {
		c.MaxOutstanding = 1024
	}
	if c.Limits.MaxDepth <= 0 {
		c.Limits.MaxDepth = wire.MaxDepth
	}
	if c.Limits.MaxCollectionLen <= 0 {
		c.Limits.MaxCollectionLen = wire.MaxCollectionLen
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Handler serves the calls that arrive on a connection.
type Handler interface {
	// ServeCall runs one call and returns its reply, a KindReturn buffer
	// whose id is h.ID. args is positioned at the argument list and is
	// only valid until ServeCall returns.
	ServeCall(ctx context.Context, c *Conn, h *wire.CallHeader, args *wire.Decoder) *wire.Buffer
	// Dropped reports a one-way call that found no slot in time: it
	// did not run, and its caller is not told.
	Dropped(c *Conn, h *wire.CallHeader)
	// Lost reports, once, that the connection died. The calls it was
	// serving keep running: whether they are orphans is the handler's
	// decision (see CancelInbound).
	Lost(c *Conn)
}

// Conn is one live connection to a peer runtime.
type Conn struct {
	nc      net.Conn
	rd      connReader
	cfg     Config
	handler Handler
	peer    wire.Hello
	who     Principal
	onStop  func(*Conn)
	onClose func(*Conn)
	// peerMax is the largest frame the peer accepts (its hello says).
	peerMax int

	w        writer
	done     chan struct{} // closed by fail
	failOnce sync.Once
	err      error // why the conn died; read only after done

	parent context.Context // of inbound calls; outlives the connection
	// slots holds one token per inbound call from its arrival until its
	// reply is written or dropped: replies waiting for a peer that does
	// not read count against MaxInflight like calls still running.
	slots  chan struct{}
	hub    *Hub
	ownHub bool // the hub is this connection's alone: it closes it
	// every is how often the hub looks at the connection, twice: the
	// ping interval, as short as either side asks.
	every time.Duration
	hb    hbState // guarded by hub.mu, and owned by its timer goroutine
	// beat is the one pool task, at most, that writes what the hub or a
	// caller asked for: pings, owed frames, the closing of an idle
	// connection (see beat).
	beatMu      sync.Mutex
	beatWant    beatWork
	beatRunning bool
	beatClosed  bool // the reader has ended: no more beat tasks
	beats       sync.WaitGroup
	beatFn      func()
	// outstanding holds one token per async call or batch of this side
	// awaiting its reply (MaxOutstanding).
	outstanding chan struct{}
	// alive counts the reader and the workers; the last to end reports
	// the Conn closed.
	alive atomic.Int32

	nextID atomic.Uint64
	// busy counts calls in progress here, in either direction: calls
	// waiting for replies and methods running. A writer that sees others
	// busy yields once before flushing, so their frames share its
	// syscall.
	busy atomic.Int32
	// used counts calls started and ended here, in either direction: the
	// heartbeat sees a connection idle when it stops moving.
	used atomic.Uint64
	// idleSince is when the hub last saw calls move, in Unix
	// nanoseconds, once it finds the connection idle for IdleTimeout.
	idleSince atomic.Int64
	idleUsed  atomic.Uint64 // used as of then

	readDeadline deadline // the reader's own
	progress     progressReader

	mu      sync.Mutex
	pending map[uint64]*pending
	inbound map[uint64]inboundCall
	// owed are small frames the peer is owed, written by a beat task
	// (a pool worker) so that neither a caller giving up nor the reader ever
	// waits for the socket: cancels, and refusals of calls. Bounded by
	// maxOwed. last, if set, is written after them, and then the
	// connection closes with lastCause: a refusal for a broken limit.
	owed      []owedFrame
	last      *wire.Buffer
	lastCause error
}

// inboundCall is a call this side is serving.
type inboundCall struct {
	cancel context.CancelCauseFunc
	// oneWay calls are not orphans when their caller goes: it never
	// waited for them, and they were sent to have their effect.
	oneWay bool
	stream *StreamOut // set for a call that streams its results
}

type pending struct {
	ch     chan *wire.Frame // capacity 1: the reader never blocks on it
	stream *StreamIn        // set for a stream: it takes the items and the reply
	// async, if set, is the async call or batch this is: its receiver is
	// told instead (see future.go).
	async *Async
}

var pendingPool = sync.Pool{New: func() any { return &pending{ch: make(chan *wire.Frame, 1)} }}

// New wraps nc in a connection once the handshake is done; Start runs
// it. Inbound calls' contexts derive from parent, not from the
// connection: losing the connection does not cancel them. Once the
// connection is dead, onStop runs when its reader, and any write it
// asked a worker for, have ended, and onClose when the calls it was
// serving have returned too, which may be much later: a method that
// ignores its context runs on. Each runs once.
func New(parent context.Context, nc net.Conn, peer wire.Hello, who Principal, cfg Config, h Handler, onStop, onClose func(*Conn)) *Conn {
	cfg = cfg.WithDefaults()
	c := &Conn{
		nc: nc, cfg: cfg, handler: h, peer: peer, who: who, onStop: onStop, onClose: onClose, parent: parent,
		peerMax: cfg.MaxFrameSize,
		done:    make(chan struct{}),
		slots:   make(chan struct{}, cfg.MaxInflight),
		pending: make(map[uint64]*pending),
		inbound: make(map[uint64]inboundCall),
		hub:     cfg.Hub,
	}
	if peer.MaxFrame > 0 {
		c.peerMax = int(peer.MaxFrame)
	}
	// Ping as often as either side asks: the peer's timeout may be
	// shorter than ours. The peer's wish comes from the wire: held to a
	// floor, so that a hello asking for a ping every nanosecond makes
	// no busy loop.
	c.every = cfg.HeartbeatInterval
	if p := peer.PingEvery; p > 0 && p < c.every {
		c.every = p
	}
	c.every = max(c.every, minPingEvery)
	c.hb.index = -1
	c.beatFn = c.beatTask
	c.outstanding = make(chan struct{}, cfg.MaxOutstanding)
	c.rd.nc = nc
	c.w.init(nc)
	c.progress = progressReader{c: c}
	c.alive.Store(1) // the reader
	return c
}

// release ends one of the reader and the workers; the last reports the
// Conn closed. Only the reader starts workers, so once it has ended the
// count only falls.
func (c *Conn) release() {
	if c.alive.Add(-1) == 0 {
		c.onClose(c)
	}
}

// Start runs the connection's reader, and puts it in its hub's
// heartbeat. Frames are written by the goroutines that send them: no
// hand-off to a writer.
func (c *Conn) Start() {
	c.beatMu.Lock()
	if c.hub == nil {
		c.hub, c.ownHub = NewHub(), true
	}
	owed := c.beatWant != 0
	c.beatMu.Unlock()
	if owed {
		c.beat(0) // frames owed before the start
	}
	c.hb.used, c.hb.usedAt = c.used.Load(), time.Now()
	c.hub.add(c)
	go c.readLoop()
}

// Peer is the hello the other side sent.
func (c *Conn) Peer() wire.Hello { return c.peer }

// Principal is who the peer proved to be at the handshake.
func (c *Conn) Principal() Principal { return c.who }

// RemoteAddr is the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Done is closed when the connection is dead (it may still be finishing).
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err says why the connection died, or nil while it lives.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Kill kills the connection without waiting; onClose reports when all
// goroutines are done. Inbound calls keep running unless the handler
// cancels them.
func (c *Conn) Kill(cause error) { c.fail(cause) }

func (c *Conn) fail(err error) { c.failFirst(err) }

// failFirst kills the connection with err and reports whether err is
// why it died: false if it had already died of something else.
func (c *Conn) failFirst(err error) (first bool) {
	c.failOnce.Do(func() {
		first = true
		c.err = err
		close(c.done)
		c.nc.Close()
		c.failAsync()
		c.handler.Lost(c)
	})
	return first
}

// CancelInbound cancels, with cause, every call this connection is
// serving but one-way calls, and reports how many there were.
func (c *Conn) CancelInbound(cause error) int {
	c.mu.Lock()
	cancels := make([]context.CancelCauseFunc, 0, len(c.inbound))
	for _, in := range c.inbound {
		if !in.oneWay {
			cancels = append(cancels, in.cancel)
		}
	}
	c.mu.Unlock()
	for _, cancel := range cancels {
		cancel(cause)
	}
	return len(cancels)
}

// Inflight counts the calls this connection is serving and the calls it
// is waiting on.
func (c *Conn) Inflight() (serving, waiting int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inbound), len(c.pending)
}

// Call sends a KindCall buffer and waits for its reply frame, which the
// caller must Release. b is consumed. The calling goroutine writes the
// frame itself, so a sequential caller costs no goroutine hand-off on
// the way out.
func (c *Conn) Call(ctx context.Context, b *wire.Buffer) (*wire.Frame, error) {
	if err := c.sendable(b); err != nil {
		return nil, err
	}
	id := c.nextID.Add(1)
	b.SetID(id)
	c.used.Add(1)
	p := pendingPool.Get().(*pending)
	c.mu.Lock()
	c.pending[id] = p
	c.mu.Unlock()

	c.busy.Add(1)
	defer c.busy.Add(-1)
	if err := c.write(ctx, b, 1); err != nil {
		c.forget(id, p)
		if errors.Is(err, errNotWritten) {
			if ctx.Err() != nil && c.Err() == nil {
				return nil, ContextError(objerr.KindNotSent, ctx)
			}
			return nil, c.lost(objerr.KindNotSent)
		}
		return nil, c.lost(objerr.KindOutcomeUnknown)
	}

	select {
	case f := <-p.ch:
		pendingPool.Put(p)
		c.used.Add(1)
		return f, nil
	case <-c.done:
		if f, ok := c.settle(id, p); ok {
			return f, nil
		}
		return nil, c.lost(objerr.KindOutcomeUnknown)
	case <-ctx.Done():
		if f, ok := c.settle(id, p); ok {
			return f, nil // the reply won the race; the call did complete
		}
		why := wire.CancelCaller
		switch {
		case errors.Is(context.Cause(ctx), objerr.ErrOrphaned):
			why = wire.CancelOrphaned // the peer's method is an orphan too
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			why = wire.CancelDeadline // the method's context says so too
		}
		c.sendCancel(id, why)
		return nil, ContextError(objerr.KindOutcomeUnknown, ctx)
	}
}

// Send sends a KindCall buffer that wants no reply (wire.FlagNoReply)
// and returns once it is written: a nil error says the frame reached the
// socket, not that the method ran. b is consumed. An error is not sent
// if the frame surely never left, outcome unknown otherwise.
func (c *Conn) Send(ctx context.Context, b *wire.Buffer) error {
	if err := c.sendable(b); err != nil {
		return err
	}
	b.SetID(c.nextID.Add(1))
	c.used.Add(1)
	if err := c.write(ctx, b, 0); err != nil {
		if errors.Is(err, errNotWritten) {
			if ctx.Err() != nil && c.Err() == nil {
				return ContextError(objerr.KindNotSent, ctx)
			}
			return c.lost(objerr.KindNotSent)
		}
		return c.lost(objerr.KindOutcomeUnknown)
	}
	return nil
}

// sendable refuses, not sent, a call on a dead connection or one larger
// than the peer accepts; it releases b if so.
func (c *Conn) sendable(b *wire.Buffer) error {
	if c.Err() != nil {
		b.Release()
		return c.lost(objerr.KindNotSent)
	}
	if n := len(b.B) - 4; n > c.peerMax {
		b.Release()
		return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeLimit,
			Reason: fmt.Sprintf("the call's arguments take %d bytes, more than the %d bytes %s accepts in one frame (its MaxFrameSize)",
				n, c.peerMax, c.nc.RemoteAddr())}
	}
	return nil
}

// settle withdraws a pending call. If the reader already took it, the
// reply is on its way and settle waits for it (the reader never blocks).
func (c *Conn) settle(id uint64, p *pending) (*wire.Frame, bool) {
	c.mu.Lock()
	_, mine := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if mine {
		pendingPool.Put(p)
		return nil, false
	}
	f := <-p.ch
	pendingPool.Put(p)
	return f, true
}

func (c *Conn) forget(id uint64, p *pending) {
	if f, ok := c.settle(id, p); ok {
		f.Release()
	}
}

func (c *Conn) lost(kind objerr.Kind) error {
	return &objerr.Error{Kind: kind, Code: objerr.CodeConnection,
		Reason: "connection to " + c.peerName() + " lost", Err: c.err}
}

// peerName names the peer for a person: its runtime and the endpoint its
// hello gave, as a user would know it. The address of a connection the
// peer opened is an ephemeral source port, which names it only when it
// listens on no port.
func (c *Conn) peerName() string {
	addr := c.nc.RemoteAddr().String()
	switch {
	case c.peer.Runtime == uuid.Nil:
		return addr
	case c.peer.Endpoint == "":
		return fmt.Sprintf("runtime %s at %s (it listens on no port)", c.peer.Runtime, addr)
	}
	return fmt.Sprintf("runtime %s at %s", c.peer.Runtime, c.peer.Endpoint)
}

// ContextError is the error for a call whose context ended: canceled or
// deadline exceeded, wrapping the context's cause.
func ContextError(kind objerr.Kind, ctx context.Context) error {
	code := objerr.CodeCanceled
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		code = objerr.CodeDeadlineExceeded
	}
	return &objerr.Error{Kind: kind, Code: code, Err: context.Cause(ctx)}
}

// refuseCall answers call id with a limit error and makes that reply the
// connection's last frame: a peer that breaks a limit is disconnected,
// but learns which limit first. A beat task writes the reply, so the
// reader never waits for the socket; it stops reading at once.
func (c *Conn) refuseCall(id uint64, err error) {
	cause := fmt.Errorf("%w: %w", objerr.ErrProtocol, err)
	c.cfg.Logger.Warn("objrmi: closing connection: limit exceeded",
		"peer", c.nc.RemoteAddr().String(), "err", err)
	c.oweLast(wire.ErrorReply(id, objerr.CodeLimit, &wire.ErrorBody{Message: err.Error()}), cause)
}

func (c *Conn) readLoop() {
	for {
		c.readDeadline.extend(c.nc.SetReadDeadline, c.cfg.HeartbeatTimeout)
		f, err := wire.ReadFrame(&c.progress, c.cfg.MaxFrameSize)
		if err != nil {
			c.readFailed(err)
			break
		}
		if err := c.dispatch(f); err != nil {
			if errors.Is(err, errRefused) {
				break // refuseCall closed the connection after the refusal
			}
			what := "protocol violation"
			if errors.Is(err, wire.ErrLimit) {
				what = "limit exceeded"
			}
			c.cfg.Logger.Warn("objrmi: closing connection: "+what,
				"peer", c.nc.RemoteAddr().String(), "err", err)
			c.fail(fmt.Errorf("%w: %w", objerr.ErrProtocol, err))
			break
		}
	}
	c.endBeats()
	if c.ownHub {
		c.hub.Close()
	}
	c.onStop(c)
	c.release()
}

func (c *Conn) readFailed(err error) {
	var ne net.Error
	switch {
	case errors.Is(err, wire.ErrFrameTooLarge):
		c.cfg.Logger.Warn("objrmi: closing connection: frame size limit",
			"peer", c.nc.RemoteAddr().String(), "err", err)
		err = fmt.Errorf("%w: %w", objerr.ErrProtocol, err)
	case errors.As(err, &ne) && ne.Timeout():
		c.cfg.Logger.Info("objrmi: closing connection: HeartbeatTimeout: no whole frame from the peer in time",
			"peer", c.nc.RemoteAddr().String(), "timeout", c.cfg.HeartbeatTimeout)
		err = fmt.Errorf("%w: no heartbeat for %s", objerr.ErrPeerGone, c.cfg.HeartbeatTimeout)
	default:
		err = fmt.Errorf("%w: %w", objerr.ErrPeerGone, err)
	}
	c.fail(err)
}

func (c *Conn) dispatch(f *wire.Frame) error {
	switch f.Kind() {
	case wire.KindReturn:
		id, err := frameID(f)
		if err != nil {
			f.Release()
			return err
		}
		if err := c.validateReturn(f); err != nil {
			if !errors.Is(err, wire.ErrLimit) {
				f.Release()
				return err
			}
			// Well formed and read whole, so the stream is still in step,
			// but more than this side takes: a servant with larger limits,
			// or the same ones (a server does not know its caller's
			// collection limits). That call alone fails, as for a result
			// larger than MaxFrameSize; the connection and the other
			// calls on it live on.
			c.cfg.Logger.Info("objrmi: reply exceeds a limit; failing that call",
				"peer", c.nc.RemoteAddr().String(), "err", err)
			b := wire.ErrorReply(id, objerr.CodeResultLimit, &wire.ErrorBody{Message: fmt.Sprintf(
				"the method ran, but its result was refused here: %v", err)})
			f.B = append(f.B[:0], b.Bytes()[4:]...)
			b.Release()
		}
		c.mu.Lock()
		p := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if p == nil {
			f.Release() // the caller gave up; the reply is moot
			return nil
		}
		if p.stream != nil {
			p.stream.ended(f)
			return nil
		}
		if p.async != nil {
			return c.asyncReply(p, f)
		}
		p.ch <- f
		return nil
	case wire.KindCall:
		return c.startCall(f)
	case wire.KindItem:
		return c.item(f)
	case wire.KindCredit:
		return c.credit(f)
	case wire.KindBatch:
		return c.startBatch(f)
	case wire.KindBatchReturn:
		return c.batchReply(f)
	case wire.KindCancel:
		id, err := frameID(f)
		why := wire.CancelReasonOf(f.Body())
		f.Release()
		if err != nil {
			return err
		}
		c.mu.Lock()
		cancel := c.inbound[id].cancel
		c.mu.Unlock()
		if cancel != nil {
			cause := objerr.ErrCallerCanceled
			switch why {
			case wire.CancelOrphaned:
				cause = errUpstreamOrphaned
			case wire.CancelDeadline:
				// As if the method's own timer had fired: a call that ran
				// out of time is a deadline error on both sides.
				cause = context.DeadlineExceeded
			}
			cancel(cause)
		}
		return nil
	case wire.KindPing:
		f.Release()
		return nil
	}
	k := f.Kind()
	f.Release()
	return fmt.Errorf("unknown frame kind %d", k)
}

var errUpstreamOrphaned = fmt.Errorf("%w (upstream: the call that made this call was orphaned)", objerr.ErrOrphaned)

// frameID reads the fixed-width call id that follows the kind byte.
func frameID(f *wire.Frame) (uint64, error) {
	if len(f.B) < 10 || f.B[1] != 0xcf {
		return 0, errors.New("frame without a call id")
	}
	return binary.BigEndian.Uint64(f.B[2:10]), nil
}

// errRefused stops the reader after a call was refused for a limit.
var errRefused = errors.New("call refused")

// validateReturn checks a reply's values against the limits before the
// caller decodes them: a hostile server is as possible as a client.
func (c *Conn) validateReturn(f *wire.Frame) error {
	d := wire.NewDecoder(f.Body())
	defer d.Release()
	var h wire.ReturnHeader
	if err := wire.ReadReturn(d, &h); err != nil {
		return fmt.Errorf("reply header: %w", err)
	}
	if err := d.Validate(c.cfg.Limits); err != nil {
		return fmt.Errorf("reply to call %d: %w", h.ID, err)
	}
	return nil
}

func (c *Conn) startCall(f *wire.Frame) error {
	d := wire.NewDecoder(f.Body())
	var h wire.CallHeader
	if err := wire.ReadCall(d, &h); err != nil {
		d.Release()
		f.Release()
		return fmt.Errorf("call header: %w", err)
	}
	if err := d.Validate(c.cfg.Limits); err != nil {
		d.Release()
		f.Release()
		if !errors.Is(err, wire.ErrLimit) {
			return fmt.Errorf("call %d: arguments: %w", h.ID, err)
		}
		c.refuseCall(h.ID, err)
		return errRefused
	}
	c.used.Add(1)
	select {
	case c.slots <- struct{}{}:
	default:
		if h.Flags&wire.FlagNoReply != 0 {
			// A one-way call cannot be refused: its caller hears nothing.
			// The reader waits for a slot instead, so a flood of them is
			// slowed to the speed of the methods by TCP, and dropped (and
			// counted) only if no slot frees in half a heartbeat timeout,
			// before the caller's writes would time out.
			if !c.waitSlot() {
				d.Release()
				f.Release()
				c.handler.Dropped(c, &h)
				return nil
			}
			break
		}
		// Full: refuse this call rather than stop reading, which would
		// also stop the replies and cancels that free the slots.
		d.Release()
		f.Release()
		if !c.owe(owedFrame{id: h.ID}) {
			return fmt.Errorf("%d refusals owed to a peer that keeps calling without reading them", maxOwed)
		}
		return nil
	}
	var ctx context.Context
	ctx, cancel := context.WithCancelCause(c.parent)
	ctx, stream, err := c.newStreamOut(ctx, &h)
	if err != nil {
		cancel(nil)
		<-c.slots
		d.Release()
		f.Release()
		return err
	}
	c.mu.Lock()
	if _, dup := c.inbound[h.ID]; dup {
		c.mu.Unlock()
		cancel(nil)
		<-c.slots
		d.Release()
		f.Release()
		// Its cancel, and the first call's, could no longer be told
		// apart: a call that nobody can cancel.
		return fmt.Errorf("call id %d is already in use by a call in flight", h.ID)
	}
	c.inbound[h.ID] = inboundCall{cancel: cancel, oneWay: h.Flags&wire.FlagNoReply != 0, stream: stream}
	c.mu.Unlock()
	stop := func() {}
	if h.Timeout > 0 {
		cc := newCallCtx(ctx, cancel, time.Duration(h.Timeout))
		ctx, stop = cc, cc.stop
	}
	c.busy.Add(1)
	c.run(func() {
		reply := c.handler.ServeCall(ctx, c, &h, d)
		c.busy.Add(-1)
		d.Release()
		f.Release()
		c.mu.Lock()
		delete(c.inbound, h.ID)
		c.mu.Unlock()
		c.used.Add(1)
		stop()
		cancel(nil)
		// A reply waiting for the socket holds its slot; it frees it once
		// it holds the writer's lock, before any of it can reach the
		// peer, so a caller that sends its next call on reading this
		// reply is never refused for want of this slot.
		freed := false
		free := func() { freed = true; <-c.slots }
		if reply != nil && h.Flags&wire.FlagNoReply != 0 {
			reply.Release() // the handler has logged a failure
			reply = nil
		}
		if reply != nil {
			b := c.fitReply(reply)
			c.send(context.Background(), b.Bytes(), 0, free)
			b.Release()
		}
		if !freed {
			free()
		}
	})
	return nil
}

// waitSlot waits, on the reader, for a slot for a one-way call, for at
// most half of HeartbeatTimeout.
func (c *Conn) waitSlot() bool {
	t := time.NewTimer(c.cfg.HeartbeatTimeout / 2)
	defer t.Stop()
	select {
	case c.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-c.done:
	}
	return false
}

// fitReply replaces a reply larger than the peer accepts with an error
// for that call alone: the method ran, but its result cannot travel.
func (c *Conn) fitReply(reply *wire.Buffer) *wire.Buffer {
	n := len(reply.B) - 4
	if n <= c.peerMax {
		return reply
	}
	id := reply.ID()
	reply.Release()
	c.cfg.Logger.Info("objrmi: result too large for the caller; answered with an error",
		"peer", c.nc.RemoteAddr().String(), "bytes", n, "peer_max", c.peerMax)
	return wire.ErrorReply(id, objerr.CodeResultLimit, &wire.ErrorBody{Message: fmt.Sprintf(
		"the result takes %d bytes, more than the %d bytes this caller accepts in one frame (its MaxFrameSize): the method ran, but its result was not sent", n, c.peerMax)})
}

package remote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"

	// The runtime reaches these packages' plumbing through internal/link,
	// which each fills in when initialised.
	_ "github.com/objrmi/objrmi/refs"
	_ "github.com/objrmi/objrmi/skeleton"
)

// Runtime is one objrmi endpoint: it owns the objects it exports, the
// connections to its peers, and the stubs it hands out. Several runtimes
// can live in one process.
//
// Concurrency: the accept loop, each handshake, each connection's reader
// (and the writes it asked a worker for), dials and the lease checker
// are goroutines counted by wg; the hub's timer and workers (heartbeats,
// pings, methods) are the hub's, closed after them; Close stops them all and waits for them, which takes no longer than
// closing sockets does. User code the runtime runs (methods serving
// calls, Unreferenced callbacks) is counted apart, in user: Close cancels
// the calls' contexts but does not wait for them, since a method that
// ignores its context would hold Close forever; Shutdown waits for them
// as long as its context allows. The export and connection tables have
// their own locks, and no user code runs under either.
type Runtime struct {
	id       uuid.UUID
	opts     Options
	tcfg     transport.Config
	hub      *transport.Hub // heartbeats and workers for every connection
	log      *slog.Logger
	ln       net.Listener
	endpoint string
	codes    objerr.Codes

	exports  exportTable
	conns    connTable
	sessions sessionTable
	dgc      *gc.Table    // who holds this runtime's objects
	held     link.Holders // what this runtime holds of others'
	dgcStats dgcStats
	ft       faultTolerance // retry.go: policies, call numbers, completion records
	events   eventLog       // the DGC's latest events, and counts (observe.go)
	health   healthTable    // SetHealth's statuses (health.go)

	ctx       context.Context // ends when Close begins; parent of dials
	cancel    context.CancelCauseFunc
	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // the runtime's own goroutines
	user      userWork       // methods serving calls, Unreferenced callbacks
	// crash, set only by tests (Crash), makes Close end the runtime as a
	// crash would: no cleans, so its owners see its leases lapse.
	crash bool
}

// NewRuntime starts a runtime. With Options.Listen set it accepts
// connections at once.
func NewRuntime(opts Options) (*Runtime, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	rt := &Runtime{
		id:      uuid.New(),
		opts:    opts,
		tcfg:    opts.transport(),
		log:     opts.Logger,
		closing: make(chan struct{}),
		hub:     transport.NewHub(),
	}
	rt.tcfg.Hub = rt.hub
	rt.ctx, rt.cancel = context.WithCancelCause(context.Background())
	rt.dgc = gc.NewTable(gc.Config{Lease: opts.Lease, Transit: opts.TransitTimeout})
	rt.held = link.NewHolders(opts.refs(), dgcSender{rt})
	rt.exports.init(rt.dgc)
	rt.conns.init()
	rt.sessions.init()
	rt.ft.init(opts)
	if _, err := rt.exports.add(dgcIface, &dgcService{rt}, exportConfig{id: reservedDGC}, false); err != nil {
		rt.cancel(nil)
		rt.hub.Close()
		return nil, err
	}
	if err := rt.exportIntrospector(); err != nil { // remote/introspect.go
		rt.cancel(nil)
		rt.hub.Close()
		return nil, err
	}
	if err := rt.exportHealth(); err != nil { // remote/health.go
		rt.cancel(nil)
		rt.hub.Close()
		return nil, err
	}
	if opts.Listen != "" {
		ln, err := net.Listen("tcp", opts.Listen)
		if err != nil {
			rt.cancel(nil)
			rt.hub.Close()
			return nil, fmt.Errorf("objrmi: listen: %w", err)
		}
		rt.ln = ln
		rt.endpoint = ln.Addr().String()
		if opts.Advertise != "" {
			rt.endpoint = opts.Advertise
		}
		rt.wg.Add(1)
		go rt.acceptLoop()
	}
	rt.wg.Add(1)
	go rt.checkLeases()
	return rt, nil
}

// ID is the runtime's identity, fixed for its life.
func (rt *Runtime) ID() uuid.UUID { return rt.id }

// Endpoint is the address peers dial to reach this runtime, "" if it has
// no listener.
func (rt *Runtime) Endpoint() string { return rt.endpoint }

// RegisterError binds an application sentinel to a wire code. When a
// method returns an error that matches sentinel (errors.Is), the code
// travels with it; a client that registered the same code gets its own
// sentinel back, so errors.Is(err, sentinel) works across the wire.
func (rt *Runtime) RegisterError(code string, sentinel error) error {
	return rt.codes.Register(code, sentinel)
}

// Codes is the runtime's table of application error codes.
func (rt *Runtime) Codes() *objerr.Codes { return &rt.codes }

func (rt *Runtime) isClosing() bool {
	select {
	case <-rt.closing:
		return true
	default:
		return false
	}
}

// closeCleanTimeout bounds how long Close waits for owners to hear that
// this runtime no longer holds their objects.
const closeCleanTimeout = time.Second

// Close stops the listener, closes every connection (failing the calls
// this runtime has in flight and cancelling, with cause ErrRuntimeClosing,
// the calls it is serving), and waits for the runtime's own goroutines.
// Objects still held that implement UnreferencedBecause hear gc.Closing.
// First, it tells the owners of the references it holds that it holds
// them no more (one clean per owner, at most a second in all), so that
// their objects are unreferenced at once, not a lease later.
// It does not wait for user code: methods still running (their contexts
// are cancelled) and Unreferenced callbacks finish on their own; use
// Shutdown to wait for them too. It is safe to call more than once.
func (rt *Runtime) Close() error {
	return rt.close(context.Background())
}

// close is Close, with the cleans to owners bounded by ctx as well as
// by closeCleanTimeout: Shutdown's context bounds them too.
func (rt *Runtime) close(ctx context.Context) error {
	rt.closeOnce.Do(func() {
		rt.closingUnreferenced()
		// Tell owners now what this runtime held, so that they need not
		// wait for its leases to lapse; bounded, since an owner may be
		// slow or gone.
		if !rt.crash {
			ctx, cancel := context.WithTimeout(ctx, closeCleanTimeout)
			rt.held.ReleaseAll(ctx)
			cancel()
		}
		close(rt.closing)
		if rt.ln != nil {
			rt.ln.Close()
		}
		// The connections die before the methods' contexts end: a method
		// that returns at its context's end must not get its reply out,
		// saying "the runtime is closing" as if it were the method's own
		// error; its caller sees the connection lost (outcome unknown),
		// and a replica group moves a marked call to another member.
		rt.conns.killAll(objerr.ErrRuntimeClosing)
		rt.cancel(objerr.ErrRuntimeClosing)
		rt.held.Close()
	})
	rt.wg.Wait()
	rt.hub.Close() // its connections are dead: their readers have ended
	return nil
}

// Shutdown closes the runtime as Close does (its cleans to owners bounded
// by ctx too), then waits until every
// method it was serving and every Unreferenced callback it started has
// returned, or until ctx ends. In the style of http.Server.Shutdown: it
// returns nil once all is done, or ctx's error, saying how much user code
// is still running, if ctx ended first; that code keeps running, since Go
// cannot stop a goroutine from outside.
func (rt *Runtime) Shutdown(ctx context.Context) error {
	if ctx == nil {
		return errors.New("objrmi: Shutdown: nil context")
	}
	rt.close(ctx)
	if n := rt.user.wait(ctx); n > 0 {
		return fmt.Errorf("objrmi: shutdown: %d methods or Unreferenced callbacks are still running, ignoring their cancelled contexts: %w",
			n, context.Cause(ctx))
	}
	return nil
}

func (rt *Runtime) acceptLoop() {
	defer rt.wg.Done()
	var lastLog [overPerHost + 1]time.Time
	for {
		nc, err := rt.ln.Accept()
		if err != nil {
			if rt.isClosing() || errors.Is(err, net.ErrClosed) {
				return
			}
			rt.log.Warn("objrmi: accept", "err", err)
			continue
		}
		host := limitKey(nc.RemoteAddr())
		closed, over := rt.conns.trackHandshake(nc, host, rt.opts.MaxConns, rt.opts.MaxConnsPerHost)
		if closed {
			nc.Close()
			return
		}
		if over == withinLimits {
			rt.wg.Add(1)
			go rt.accept(nc, host)
			continue
		}
		// Refused on this goroutine, before any other goroutine or
		// buffer is spent on it: one short write into the fresh socket's
		// empty send buffer, so the client learns which limit it hit,
		// then close. One log line per limit per second at most, however
		// hard the flood.
		limit, name := rt.opts.MaxConns, "MaxConns"
		reason := fmt.Sprintf("this runtime has its limit of %d connections (MaxConns): try again later", limit)
		if over == overPerHost {
			limit, name = rt.opts.MaxConnsPerHost, "MaxConnsPerHost"
			reason = fmt.Sprintf("this runtime already has %d connections from your host, its limit (MaxConnsPerHost): "+
				"close idle runtimes, or ask for a higher limit", limit)
		}
		transport.RefuseNow(nc, rt.hello(), objerr.CodeOverloaded, reason, refusalWriteTimeout)
		if now := time.Now(); now.Sub(lastLog[over]) >= time.Second {
			lastLog[over] = now
			rt.log.Warn("objrmi: refusing connections: "+name, "limit", limit,
				"refused", rt.conns.takeRefused(over), "last", nc.RemoteAddr().String())
		}
	}
}

// refusalWriteTimeout bounds the accept loop's write of a refusal. The
// hello fits in any fresh socket's send buffer, so it is a guard only.
const refusalWriteTimeout = 100 * time.Millisecond

// limitKey is the host a socket counts against for MaxConnsPerHost: its
// IP address, or for IPv6 its /64 network, which one host usually has
// whole.
func limitKey(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return hostOf(addr)
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.String()
		}
	}
	return a.String()
}

// accept runs the server handshake on its own goroutine, so a slow client
// cannot stall the accept loop. host is the socket's limitKey.
func (rt *Runtime) accept(nc net.Conn, host string) {
	defer rt.wg.Done()
	me := rt.hello()
	conn, peer, who, err := transport.Accept(nc, me, rt.opts.HandshakeTimeout, rt.opts.security(),
		func(peer wire.Hello, who transport.Principal) error {
			return rt.claim(peer.Runtime, Principal(who), hostOf(nc.RemoteAddr()))
		})
	rt.conns.untrackHandshake(nc, err != nil)
	if err != nil {
		msg := "objrmi: handshake refused"
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			msg += ": HandshakeTimeout"
		}
		rt.log.Info(msg, "peer", nc.RemoteAddr().String(), "err", err)
		nc.Close()
		return
	}
	rt.startConn(conn, peer, who, false, host)
}

// hello is what this runtime says about itself to a new peer.
func (rt *Runtime) hello() wire.Hello {
	return wire.Hello{Runtime: rt.id, Endpoint: rt.endpoint, PingEvery: rt.tcfg.HeartbeatInterval,
		MaxFrame: uint32(min(rt.tcfg.MaxFrameSize, math.MaxUint32))} // a frame's length prefix has 32 bits anyway
}

// startConn wraps a handshaken socket in a Conn owned by this runtime,
// or closes it and returns nil if the runtime is closing.
// dialled says this runtime opened the connection. Only the dialler
// closes a connection as idle: it knows no call of its own is starting,
// while the other side could close under a call already on the wire. The
// acceptor closes only after twice IdleTimeout, a backstop against peers
// that never close theirs.
//
// An accepted connection holds the slot of host (its limitKey) that its
// handshake took, until it ends.
func (rt *Runtime) startConn(nc net.Conn, peer wire.Hello, who transport.Principal, dialled bool, host string) *transport.Conn {
	if !rt.conns.admit(&rt.wg) {
		if !dialled {
			rt.conns.releaseHost(host)
		}
		nc.Close()
		return nil
	}
	s := rt.join(peer.Runtime)
	cfg := rt.tcfg
	if !dialled {
		cfg.IdleTimeout *= 2
	}
	c := transport.New(rt.ctx, nc, peer, who, cfg, s, func(*transport.Conn) {
		rt.wg.Done() // its reader, and the writes it asked for, have ended
	}, func(c *transport.Conn) {
		// The calls it was serving have returned too.
		rt.conns.remove(c)
		s.leave(c)
	})
	s.attach(c)
	rt.conns.add(c, !dialled, host)
	c.Start()
	return c
}

package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// A session is everything this runtime knows about one peer runtime as a
// caller: its connections, live or still finishing calls, and whether its
// calls have been orphaned. It serves the calls that arrive on those
// connections, so each call knows its caller without a lookup.
type session struct {
	rt   *Runtime
	peer uuid.UUID
	env  link.Env

	// Guarded by sessionTable.mu.
	conns    map[*transport.Conn]bool // value: still live
	joining  int                      // connections being started
	lostAt   time.Time                // when the last live connection died
	orphaned bool                     // its calls were cancelled since
}

type sessionTable struct {
	mu     sync.Mutex
	byPeer map[uuid.UUID]*session
	claims map[uuid.UUID]string // runtime id -> the identity that claimed it (see claim)
	// gone maps the holders that listen on no port and lost their last
	// connection to when they lost it (see dropDisconnected). One entry
	// per peer, gone after HolderGrace or when the peer comes back.
	gone    map[uuid.UUID]time.Time
	orphans atomic.Uint64 // calls cancelled as orphans, ever
	// oneWayFailed and oneWayDropped count, ever, the one-way calls
	// whose method failed or panicked, and those dropped for want of a
	// slot.
	oneWayFailed, oneWayDropped atomic.Uint64
}

func (t *sessionTable) init() {
	t.byPeer = make(map[uuid.UUID]*session)
	t.claims = make(map[uuid.UUID]string)
	t.gone = make(map[uuid.UUID]time.Time)
}

// join returns the session for peer, creating it, for a connection about
// to start; attach must follow.
func (rt *Runtime) join(peer uuid.UUID) *session {
	t := &rt.sessions
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byPeer[peer]
	if s == nil {
		s = &session{rt: rt, peer: peer, conns: make(map[*transport.Conn]bool)}
		s.env = link.Env{Refs: &peerRefs{rt: rt, peer: peer}, Codes: &rt.codes, Logger: rt.log}
		t.byPeer[peer] = s
	}
	s.joining++
	return s
}

// attach counts c as the peer's live connection, unless it already died.
func (s *session) attach(c *transport.Conn) {
	t := &s.rt.sessions
	t.mu.Lock()
	defer t.mu.Unlock()
	s.joining--
	if _, dead := s.conns[c]; !dead {
		s.conns[c] = true
		s.lostAt, s.orphaned = time.Time{}, false
		delete(t.gone, s.peer)
	}
}

// Lost implements transport.Handler: the grace period starts when the
// peer's last live connection dies.
func (s *session) Lost(c *transport.Conn) {
	t := &s.rt.sessions
	t.mu.Lock()
	defer t.mu.Unlock()
	s.conns[c] = false
	for _, live := range s.conns {
		if live {
			return
		}
	}
	s.lostAt = time.Now()
	if c.Peer().Endpoint == "" {
		t.gone[s.peer] = s.lostAt // it cannot be dialled: only it can come back
	}
	// If the peer owns references this runtime holds, renew now, over a
	// new connection: the owner may count this runtime gone after its
	// HolderGrace, which can be shorter than the time to the next
	// renewal. (Called with no lock of the runtime held but this one;
	// refs takes only its own.)
	s.rt.held.Renew(s.peer)
}

// leave forgets c once its calls are done, and the session with it when
// it was the last.
func (s *session) leave(c *transport.Conn) {
	t := &s.rt.sessions
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(s.conns, c)
	if len(s.conns) == 0 && s.joining == 0 && t.byPeer[s.peer] == s {
		delete(t.byPeer, s.peer)
	}
}

type callerKey struct{}

// ServeCall implements transport.Handler: it finds the object and lets
// its skeleton run the call, with the caller's connection in the context.
//
// With a rule set (Options.Authorize, or the export's own), the rule
// decides before anything about the object is told: a call to an
// unknown object or an unknown method is put to it too, and a refused
// caller gets the same refusal whether the object and method exist or
// not. Only an allowed caller learns that they do not, and which methods
// the object has.
func (s *session) ServeCall(ctx context.Context, c *transport.Conn, h *wire.CallHeader, args *wire.Decoder) *wire.Buffer {
	if h.Flags&wire.FlagPromise != 0 {
		return wire.ErrorReply(h.ID, objerr.CodeUnsupported, &wire.ErrorBody{
			Message: "promise pipelining (a call to the result of a call in flight) is not supported by this runtime: call the result once it arrives"})
	}
	var reply *wire.Buffer
	if h.Flags&wire.FlagSeq != 0 && h.Flags&wire.FlagNoReply == 0 {
		// Exactly once: answered from its completion record if it ran (dedup.go).
		reply = s.rt.ft.records.serve(ctx, s.peer, h, func() *wire.Buffer { return s.observe(ctx, c, h, args) })
	} else {
		reply = s.observe(ctx, c, h, args) // s.serve, observed: remote/intercept_server.go
	}
	if reply != nil && h.Flags&wire.FlagNoReply != 0 {
		s.oneWayDone(h, reply)
	}
	return reply
}

// serve runs one call for ServeCall.
func (s *session) serve(ctx context.Context, c *transport.Conn, h *wire.CallHeader, args *wire.Decoder) *wire.Buffer {
	rt := s.rt
	rt.user.add() // for Shutdown
	defer rt.user.done()
	if rt.isClosing() {
		// Counted after Close began: Shutdown may already have seen no
		// user code running and returned, so the method must not start
		// (a call the reader handed to a worker just before the
		// connection died reaches here after Close).
		return wire.ErrorReply(h.ID, objerr.CodeClosed, &wire.ErrorBody{
			Message: "the runtime is closing: the call was not run"})
	}
	e, why := rt.exports.lookup(h.Object)
	if sc, ok := ctx.(*serverCall); !ok || sc.conn != c {
		ctx = context.WithValue(ctx, callerKey{}, c)
	}
	if rt.opts.Authorize == nil && (e == nil || e.authorize == nil) {
		if e == nil {
			return wire.ErrorReply(h.ID, objerr.CodeNoSuchObject, &wire.ErrorBody{Message: why})
		}
		if m := e.skel.Method(h); e.num == reservedDGC && m != nil && m.Index == dgcInspect {
			return s.refuse(h, c, m.Name, errInspectClosed)
		}
		return s.intercept(ctx, e, h, args)
	}
	call := Call{Principal: Principal(c.Principal()), Caller: s.peer, Addr: c.RemoteAddr(), Object: h.Object, Method: h.Name}
	if h.Method == wire.ProbeMethod {
		call.Method = "" // Dial's check that the object exists: no method runs
	}
	var m *iface.Method
	if e != nil {
		call.Interface = e.it.Name
		if m = e.skel.Method(h); m != nil {
			call.Method = m.Name
		}
	}
	if e != nil && e.num == reservedDGC && m != nil && m.Index != dgcInspect {
		// Dirty and Clean only ever act for the caller's own, claimed,
		// runtime id. Inspect, which tells who holds what, is for those
		// the runtime's rule allows.
		return e.skel.Serve(ctx, h, args, &s.env)
	}
	var err error
	if e == nil {
		err = rt.opts.Authorize(ctx, call) // set, or the first branch answered
	} else {
		err = rt.authorize(ctx, e, call)
	}
	if err != nil {
		return s.refuse(h, c, call.Method, err)
	}
	if e == nil {
		return wire.ErrorReply(h.ID, objerr.CodeNoSuchObject, &wire.ErrorBody{Message: why})
	}
	return s.intercept(context.WithValue(ctx, authorizedKey{}, e.num), e, h, args)
}

// errInspectClosed refuses the DGC's Inspect to other runtimes when no
// Options.Authorize could allow it.
var errInspectClosed = errors.New("the holders of this runtime's objects are not disclosed: its Options.Authorize can allow Inspect")

// refuse answers a call the rules refused. The message depends only on
// the principal and the rule's error, never on whether the object or the
// method exists.
func (s *session) refuse(h *wire.CallHeader, c *transport.Conn, method string, err error) *wire.Buffer {
	who := c.Principal()
	if len(method) > 64 { // a name the caller chose, in our log
		method = method[:64] + "..."
	}
	s.rt.log.Info("objrmi: call refused", "object", h.Object, "method", method, "principal", who.String(), "caller", s.peer, "err", err)
	return wire.ErrorReply(h.ID, objerr.CodeAccessDenied, &wire.ErrorBody{
		Message: fmt.Sprintf("access denied to %s: %v", who, err)})
}

// Caller returns the identity of the runtime that made the call ctx
// belongs to, as its connection's handshake stated it, or false outside
// a remote call.
func Caller(ctx context.Context) (uuid.UUID, bool) {
	c, ok := callerConn(ctx)
	if !ok {
		return uuid.Nil, false
	}
	return c.Peer().Runtime, true
}

// CallerAddr returns the network address of the connection the call ctx
// belongs to came on, or false outside a remote call. It is the address
// of the caller's host, whichever side opened the connection.
func CallerAddr(ctx context.Context) (net.Addr, bool) {
	c, ok := callerConn(ctx)
	if !ok {
		return nil, false
	}
	return c.RemoteAddr(), true
}

// callerConn is the connection the call ctx belongs to came on. A nil
// ctx is no remote call: these helpers are also called from code the
// user calls in-process (registry.LocalOnly), where a nil ctx must not
// panic.
func callerConn(ctx context.Context) (*transport.Conn, bool) {
	if ctx == nil {
		return nil, false
	}
	c, ok := ctx.Value(callerKey{}).(*transport.Conn)
	return c, ok
}

// orphanLost cancels the calls of peers that lost their connection more
// than the grace period ago and have not come back.
func (rt *Runtime) orphanLost(now time.Time) {
	t := &rt.sessions
	t.mu.Lock()
	var due []*session
	for _, s := range t.byPeer {
		if !s.lostAt.IsZero() && !s.orphaned && now.Sub(s.lostAt) >= rt.opts.OrphanGrace {
			s.orphaned = true
			due = append(due, s)
		}
	}
	t.mu.Unlock()
	for _, s := range due {
		rt.orphan(s.peer, fmt.Errorf("%w: runtime %s lost its connection and did not come back within the %s grace period",
			objerr.ErrOrphaned, s.peer, rt.opts.OrphanGrace))
	}
}

// orphan cancels, with cause, the calls peer has running here over
// connections that are gone. Calls on a live connection are not orphans:
// their caller is demonstrably there to receive the reply.
func (rt *Runtime) orphan(peer uuid.UUID, cause error) {
	t := &rt.sessions
	t.mu.Lock()
	var conns []*transport.Conn
	if s := t.byPeer[peer]; s != nil {
		for c, live := range s.conns {
			if !live {
				conns = append(conns, c)
			}
		}
	}
	t.mu.Unlock()
	n := 0
	for _, c := range conns {
		n += c.CancelInbound(cause)
	}
	if n > 0 {
		t.orphans.Add(uint64(n))
		rt.note(Event{Kind: EventOrphansCancelled, Peer: peer, Detail: fmt.Sprintf("%d calls: %v", n, cause)})
		rt.log.Info("objrmi: cancelled orphaned calls", "peer", peer, "calls", n, "cause", cause)
	}
}

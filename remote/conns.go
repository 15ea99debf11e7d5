package remote

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// connTable holds one connection per peer runtime, whichever side opened
// it, so a server calls a client back over the client's own connection.
// Two runtimes that dial each other at the same moment may briefly hold
// two connections; both work and the first one registered is used.
type connTable struct {
	mu      sync.Mutex
	closed  bool
	byPeer  map[uuid.UUID]*transport.Conn
	all     map[*transport.Conn]struct{}
	dialing map[string]*dialing
	// dialed maps an endpoint to the connection this runtime opened to
	// it. Only these are reused by endpoint: the endpoint an accepted
	// connection's peer claims is its own say-so.
	dialed map[string]*transport.Conn
	// handshakes maps each accepted socket still in its handshake to its
	// host's key (limitKey); perHost counts, by that key, the accepted
	// connections open or opening, and accepted names the host of each
	// open one, for MaxConnsPerHost.
	handshakes map[net.Conn]string
	perHost    map[string]int
	accepted   map[*transport.Conn]string
	refused    [overPerHost + 1]int // sockets refused, by limit, since last logged
}

// overLimit says which limit refused a socket.
type overLimit int

const (
	withinLimits overLimit = iota
	overMaxConns
	overPerHost
)

// dialing is one dial in progress; concurrent callers wait for it rather
// than opening their own connection.
type dialing struct {
	done chan struct{}
	conn *transport.Conn
	err  error
}

func (t *connTable) init() {
	t.byPeer = make(map[uuid.UUID]*transport.Conn)
	t.all = make(map[*transport.Conn]struct{})
	t.dialing = make(map[string]*dialing)
	t.dialed = make(map[string]*transport.Conn)
	t.handshakes = make(map[net.Conn]string)
	t.perHost = make(map[string]int)
	t.accepted = make(map[*transport.Conn]string)
}

// admit counts a new connection in wg unless the runtime is closing. It
// holds the table lock so that no Add can slip in after Close has begun
// waiting.
func (t *connTable) admit(wg *sync.WaitGroup) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	wg.Add(1)
	return true
}

// add registers an admitted connection; an accepted one keeps the slot
// of host (limitKey) that its handshake took until remove. If Close ran
// in between, the connection is killed at once; it still finishes
// through onClose.
func (t *connTable) add(c *transport.Conn, accepted bool, host string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if accepted {
		t.accepted[c] = host
	}
	if t.closed {
		c.Kill(objerr.ErrRuntimeClosing)
		return
	}
	t.all[c] = struct{}{}
	id := c.Peer().Runtime
	if old, ok := t.byPeer[id]; !ok || old.Err() != nil {
		t.byPeer[id] = c
	}
}

func (t *connTable) remove(c *transport.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.all, c)
	if host, ok := t.accepted[c]; ok {
		delete(t.accepted, c)
		t.releaseHostLocked(host)
	}
	for ep, d := range t.dialed {
		if d == c {
			delete(t.dialed, ep)
		}
	}
	id := c.Peer().Runtime
	if t.byPeer[id] == c {
		delete(t.byPeer, id)
		for other := range t.all { // promote a surviving twin, if any
			if other.Peer().Runtime == id && other.Err() == nil {
				t.byPeer[id] = other
				break
			}
		}
	}
}

func (t *connTable) live(id uuid.UUID) *transport.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.byPeer[id]; c != nil && c.Err() == nil {
		return c
	}
	return nil
}

// trackHandshake records an accepted socket still in its handshake, so
// Close can interrupt it, and counts it against its host (limitKey). It
// refuses the socket when the runtime is closing, when it already has
// maxConns connections, open or opening, or when host already has
// perHost accepted connections, open or opening.
func (t *connTable) trackHandshake(nc net.Conn, host string, maxConns, perHost int) (closed bool, over overLimit) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return true, withinLimits
	}
	switch {
	case len(t.all)+len(t.handshakes) >= maxConns:
		over = overMaxConns
	case t.perHost[host] >= perHost:
		over = overPerHost
	default:
		t.handshakes[nc] = host
		t.perHost[host]++
		return false, withinLimits
	}
	t.refused[over]++
	return false, over
}

// takeRefused returns how many sockets were refused over the limit since
// the last call.
func (t *connTable) takeRefused(over overLimit) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.refused[over]
	t.refused[over] = 0
	return n
}

// untrackHandshake ends nc's handshake. A socket that failed it gives
// its host's slot back; one that passed keeps it for its connection (see
// add), or gives it back with releaseHost if it never becomes one.
func (t *connTable) untrackHandshake(nc net.Conn, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	host := t.handshakes[nc]
	delete(t.handshakes, nc)
	if failed {
		t.releaseHostLocked(host)
	}
}

func (t *connTable) releaseHost(host string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.releaseHostLocked(host)
}

func (t *connTable) releaseHostLocked(host string) {
	if t.perHost[host]--; t.perHost[host] <= 0 {
		delete(t.perHost, host)
	}
}

func (t *connTable) killAll(cause error) {
	t.mu.Lock()
	t.closed = true
	conns := t.listLocked()
	for nc := range t.handshakes {
		nc.Close()
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.Kill(cause)
	}
}

// conn returns a live connection to the owner of ref, dialing its
// endpoint if there is none.
func (rt *Runtime) conn(ctx context.Context, ref *wire.Ref) (*transport.Conn, error) {
	if ctx == nil {
		return nil, &objerr.Error{Kind: objerr.KindNotSent, Op: "Conn", Err: objerr.ErrNilContext}
	}
	if rt.isClosing() {
		return nil, errClosed()
	}
	if ref.Runtime != uuid.Nil {
		if c := rt.conns.live(ref.Runtime); c != nil {
			return c, nil
		}
	}
	if ref.Endpoint == "" {
		return nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeConnection,
			Reason: fmt.Sprintf("runtime %s has no listener and no open connection to this runtime", ref.Runtime)}
	}
	want := ref.Runtime
	if followsRestarts(ref) {
		want = uuid.Nil
	}
	c, err := rt.dial(ctx, dialKey(ref.Endpoint, ref.TLS), want)
	if err != nil {
		return nil, err
	}
	if got := c.Peer().Runtime; want != uuid.Nil && got != want {
		return nil, notTheOwner(ref.Endpoint, got, ref.Runtime)
	}
	return c, nil
}

// followsRestarts reports whether ref names whatever serves its
// well-known id at its endpoint now, rather than one runtime's object:
// a stub from Dial (or registry.Dial) reaches the restarted server at the
// same address. Objects at well-known ids are not counted, so no lease is
// lost in the swap. The runtime's own DGC stubs do not follow: an owner
// that restarted must be seen to have, so that its references end.
func followsRestarts(ref *wire.Ref) bool {
	return ref.Object < FirstDynamicID && ref.Object != reservedDGC
}

// notTheOwner is the error for an endpoint whose runtime is not the one
// a reference names: it restarted, or the reference is stale or forged.
func notTheOwner(endpoint string, got, want uuid.UUID) error {
	return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject,
		Reason: fmt.Sprintf("owner runtime restarted: %s is now runtime %s, the reference belongs to %s",
			endpoint, got, want)}
}

// dialKey names a dial target: the endpoint, and "tls:" in front when it
// speaks TLS. A plaintext and a TLS dial to one endpoint are different
// dials: one of them will be refused.
func dialKey(endpoint string, useTLS bool) string {
	if useTLS {
		return tlsPrefix + endpoint
	}
	return endpoint
}

const tlsPrefix = "tls:"

// dial returns a live connection to endpoint (a dialKey), opening one if
// needed. want is the runtime the caller expects there, or uuid.Nil for
// whichever answers: a connection whose peer is not want is closed
// before it joins anything, so a peer cannot be dialled as one runtime
// and answer as another.
// One dial per endpoint and expected runtime runs at a time, on a
// goroutine of the runtime and bounded by DialTimeout, not by whichever
// caller came first: each caller waits for it only as long as its own
// context allows.
func (rt *Runtime) dial(ctx context.Context, endpoint string, want uuid.UUID) (*transport.Conn, error) {
	t := &rt.conns
	t.mu.Lock()
	if c := t.dialed[endpoint]; c != nil && c.Err() == nil {
		t.mu.Unlock()
		return c, nil // the caller checks its peer
	}
	key := endpoint + "#" + want.String()
	d := t.dialing[key]
	if d == nil {
		if t.closed {
			t.mu.Unlock()
			return nil, errClosed()
		}
		d = &dialing{done: make(chan struct{})}
		t.dialing[key] = d
		rt.wg.Add(1) // under the lock, after the closed check: see admit
		go rt.dialFor(endpoint, want, key, d)
	}
	t.mu.Unlock()

	select {
	case <-d.done:
		return d.conn, d.err
	case <-ctx.Done():
		return nil, transport.ContextError(objerr.KindNotSent, ctx)
	}
}

func (rt *Runtime) dialFor(endpoint string, want uuid.UUID, key string, d *dialing) {
	defer rt.wg.Done()
	ctx, cancel := context.WithTimeout(rt.ctx, rt.opts.DialTimeout)
	defer cancel()
	d.conn, d.err = rt.dialNow(ctx, endpoint, want)
	t := &rt.conns
	t.mu.Lock()
	delete(t.dialing, key)
	if d.conn != nil {
		t.dialed[endpoint] = d.conn
	}
	t.mu.Unlock()
	close(d.done)
}

func (rt *Runtime) dialNow(ctx context.Context, key string, want uuid.UUID) (*transport.Conn, error) {
	me := rt.hello()
	endpoint, useTLS := strings.CutPrefix(key, tlsPrefix)
	if useTLS || rt.opts.InsecureToken {
		// Any reference can name any endpoint: in plaintext, the token
		// would go to whoever listens there, and to everyone on the way.
		me.Token = rt.opts.Token
	}
	var tlsCfg *tls.Config
	if useTLS {
		tlsCfg = rt.opts.TLS
		if tlsCfg == nil {
			tlsCfg = &tls.Config{} // the host's roots, as a browser would
		}
	}
	nc, peer, who, err := transport.Dial(ctx, rt.opts.Dial, endpoint, me, rt.opts.HandshakeTimeout, tlsCfg)
	if err != nil {
		if me.Token == "" && rt.opts.Token != "" && errors.Is(err, objerr.ErrUnauthenticated) {
			return nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeUnauthenticated,
				Reason: endpoint + " requires authentication, and this runtime's Options.Token was not sent because the connection is plaintext: " +
					"serve and dial it over TLS, or set Options.InsecureToken on a trusted network"}
		}
		return nil, err
	}
	if want != uuid.Nil && peer.Runtime != want {
		// Checked before the connection joins any table: a peer dialled
		// for one runtime must not serve, clean or call as another.
		nc.Close()
		rt.log.Info("objrmi: dialled peer is not the runtime expected", "endpoint", endpoint, "want", want, "got", peer.Runtime)
		return nil, notTheOwner(endpoint, peer.Runtime, want)
	}
	if err := rt.claim(peer.Runtime, Principal(who), rt.dialHost(endpoint, nc)); err != nil {
		nc.Close()
		return nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeAccessDenied, Reason: endpoint, Err: err}
	}
	c := rt.startConn(nc, peer, who, true, "")
	if c == nil || c.Err() != nil {
		return nil, errClosed()
	}
	return c, nil
}

func errClosed() error {
	return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeClosed, Reason: "the runtime is closed"}
}

// snapshot lists every connection, live or finishing.
func (t *connTable) snapshot() []*transport.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.listLocked()
}

func (t *connTable) listLocked() []*transport.Conn {
	out := make([]*transport.Conn, 0, len(t.all))
	for c := range t.all {
		out = append(out, c)
	}
	return out
}

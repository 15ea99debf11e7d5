package remote

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/objerr"
)

// Principal is who the peer of a connection proved to be. The zero
// Principal is anonymous.
type Principal struct {
	// Name identifies the principal: the verified TLS certificate's common
	// name (or its first DNS name, e-mail address or URI when it has
	// none), or the name Options.CheckToken returned for its token.
	Name string
	// Via says how it was proved: ViaCertificate or ViaToken; empty for
	// an anonymous peer.
	Via string
	// Certificate is the verified leaf certificate, under TLS.
	Certificate *x509.Certificate
}

// How a Principal was proved.
const (
	ViaCertificate = "certificate" // a TLS certificate this side verified
	ViaToken       = "token"       // a token Options.CheckToken accepted
)

// The connections fill in Via with the transport's names: this stops
// compiling (a duplicate map key) if they ever differ from the above.
var _ = map[bool]struct{}{false: {},
	ViaCertificate == transport.ViaCertificate && ViaToken == transport.ViaToken: {}}

// Authenticated reports whether the peer proved an identity.
func (p Principal) Authenticated() bool { return p.Via != "" }

// String prints "name (via)", or "anonymous".
func (p Principal) String() string { return transport.Principal(p).String() }

// PrincipalOf returns the principal of the connection the call ctx
// belongs to came on, or false outside a remote call.
func PrincipalOf(ctx context.Context) (Principal, bool) {
	c, ok := callerConn(ctx)
	if !ok {
		return Principal{}, false
	}
	return Principal(c.Principal()), true
}

// Call is what an Authorizer decides on: who calls which method of
// which object.
//
// A call that misses is decided too, before the caller learns anything:
// for an object number that is not exported, Interface is empty (only
// Options.Authorize is asked); for a method the object does not have,
// Method is the name as the caller sent it, or empty when it named the
// method by an unknown hash. Only a caller the rules allow is told "no
// such object" or "no such method" (with the object's signatures); a
// refused one gets the same refusal as for a method that exists.
//
// Dial's check that the object exists, which runs nothing, comes with
// Method empty too: a rule that allows the object should allow it.
type Call struct {
	Principal Principal // anonymous unless the connection authenticated
	Caller    uuid.UUID // the calling runtime, bound to Principal (see Options.Authorize)
	Addr      net.Addr  // the caller's network address
	Object    uint64
	Interface string // the remote interface's name, as in Ref.Iface; empty if Object is not exported
	Method    string // see above for a method the object does not have
}

// Authorizer allows a call by returning nil, or refuses it. ctx is the
// call's own context (PrincipalOf, Caller and CallerAddr work on it);
// the arguments are not decoded yet. The caller gets
// objerr.ErrAccessDenied, "not sent", with the error's text.
type Authorizer func(ctx context.Context, call Call) error

// WithAuthorize gives an export its own rule, checked after the
// runtime's Options.Authorize. It decides calls to methods the export
// does not have too (see Call); calls to object numbers that are not
// exported are for Options.Authorize alone.
func WithAuthorize(a Authorizer) ExportOption {
	return func(c *exportConfig) { c.authorize = a }
}

type authorizedKey struct{}

// Authorized reports the number of the object whose Authorizer allowed
// the call ctx belongs to. A method that checks a rule itself when
// called in-process can tell, from it, that the rule already ran: the
// same ctx passed on to another object does not carry its number.
func Authorized(ctx context.Context) (obj uint64, ok bool) {
	if ctx == nil {
		return 0, false
	}
	obj, ok = ctx.Value(authorizedKey{}).(uint64)
	return obj, ok
}

// authorize runs the runtime's and the export's rules.
func (rt *Runtime) authorize(ctx context.Context, e *export, call Call) error {
	if a := rt.opts.Authorize; a != nil {
		if err := a(ctx, call); err != nil {
			return err
		}
	}
	if e.authorize != nil {
		return e.authorize(ctx, call)
	}
	return nil
}

// claim binds a runtime id to the identity that first presented it: a
// principal (and how it was proved) when the connection authenticated,
// else the peer's host: the address it dialled in from, or the host this
// runtime dialled to reach it. Another identity presenting the same id
// is refused while the first has a session, DGC state, references held
// here or completion records, so it can neither clean that runtime's
// references nor take over its calls, callbacks and recorded replies.
//
// A runtime id is thus never weaker than the network address that first
// presented it: an anonymous runtime keeps one host. A runtime that must
// be reached at one address and dial from another (NAT, several
// interfaces, a load balancer's address) must authenticate, with a
// certificate or a token, to keep one identity across them.
func (rt *Runtime) claim(id uuid.UUID, who Principal, host string) error {
	key := "host " + host
	if who.Authenticated() {
		key = "principal " + who.Via + " " + who.Name
	}
	t := &rt.sessions
	t.mu.Lock()
	defer t.mu.Unlock()
	prev, held := t.claims[id]
	switch {
	case !held:
		t.claims[id] = key
		return nil
	case prev == key:
		return nil
	}
	rt.log.Warn("objrmi: refused a runtime id claimed by another peer", "runtime", id, "claimant", key, "holder", prev)
	return &transport.Refusal{Code: objerr.CodeAccessDenied,
		Reason: fmt.Sprintf("runtime id %s is in use by another peer; a runtime reached at several addresses must authenticate (TLS or a token)", id)}
}

// dialHost is the host a dialled peer is bound to: the address this
// runtime connected to, or, through a custom Options.Dial (a proxy or a
// tunnel, whose socket's address is the proxy's), the endpoint's host as
// the reference wrote it.
func (rt *Runtime) dialHost(endpoint string, nc net.Conn) string {
	if rt.opts.Dial == nil {
		return hostOf(nc.RemoteAddr())
	}
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return endpoint
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return strings.ToLower(host)
}

// sweepClaims forgets the claims of runtimes with no session, no DGC
// state, no reference held here and no completion record left.
func (rt *Runtime) sweepClaims() {
	t := &rt.sessions
	t.mu.Lock()
	ids := make([]uuid.UUID, 0, len(t.claims))
	for id := range t.claims {
		if t.byPeer[id] == nil {
			ids = append(ids, id)
		}
	}
	t.mu.Unlock()
	for _, id := range ids {
		// Completion records answer repeats before any rule runs: the id
		// stays bound to its claimant as long as they are kept.
		if rt.dgc.Knows(id) || rt.held.Holds(id) || rt.ft.records.knows(id) {
			continue
		}
		t.mu.Lock()
		if t.byPeer[id] == nil {
			delete(t.claims, id)
		}
		t.mu.Unlock()
	}
}

func hostOf(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		return ap.Addr().Unmap().String()
	}
	host, _, _ := net.SplitHostPort(addr.String())
	return host
}

package remote

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/objerr"
)

// Principal is who the peer of a connection proved to be: the name on
// its verified TLS certificate, or the name a token check gave it. The
// zero Principal is anonymous.
type Principal = transport.Principal

// How a Principal was proved.
const (
	ViaCertificate = transport.ViaCertificate
	ViaToken       = transport.ViaToken
)

// PrincipalOf returns the principal of the connection the call ctx
// belongs to came on, or false outside a remote call.
func PrincipalOf(ctx context.Context) (Principal, bool) {
	c, ok := callerConn(ctx)
	if !ok {
		return Principal{}, false
	}
	return c.Principal(), true
}

// Call is what an Authorizer decides on: who calls which method of
// which object.
type Call struct {
	Principal Principal // anonymous unless the connection authenticated
	Caller    uuid.UUID // the calling runtime, bound to Principal (see Options.Authorize)
	Addr      net.Addr  // the caller's network address
	Object    uint64
	Interface string // the remote interface's name, as in Ref.Iface
	Method    string
}

// Authorizer allows a call by returning nil, or refuses it. ctx is the
// call's own context (PrincipalOf, Caller and CallerAddr work on it);
// the arguments are not decoded yet. The caller gets
// objerr.ErrAccessDenied, "not sent", with the error's text.
type Authorizer func(ctx context.Context, call Call) error

// WithAuthorize gives an export its own rule, checked after the
// runtime's Options.Authorize.
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
// its host's address when an anonymous peer dialled in. Another peer
// presenting the same id is refused while the first has a session or DGC
// state here, so it can neither clean that runtime's references nor take
// over its calls.
//
// An anonymous peer this runtime dialled is not held to a host: it was
// reached at the endpoint a reference named, which need not be the
// address it dials from (NAT, several interfaces). It may not take an id
// that a principal holds. Without authentication, then, a runtime's id is
// as strong as its network address, and no stronger.
func (rt *Runtime) claim(id uuid.UUID, who Principal, addr net.Addr, dialled bool) error {
	key := "host " + hostOf(addr)
	if who.Authenticated() {
		key = "principal " + who.Via + " " + who.Name
	}
	t := &rt.sessions
	t.mu.Lock()
	defer t.mu.Unlock()
	prev, held := t.claims[id]
	anonymousDial := dialled && !who.Authenticated()
	switch {
	case !held:
		if !anonymousDial {
			t.claims[id] = key
		}
		return nil
	case prev == key, anonymousDial && !strings.HasPrefix(prev, "principal "):
		return nil
	}
	rt.log.Warn("objrmi: refused a runtime id claimed by another peer", "runtime", id, "claimant", key)
	return &transport.Refusal{Code: objerr.CodeAccessDenied,
		Reason: fmt.Sprintf("runtime id %s is in use by another peer", id)}
}

// sweepClaims forgets the claims of runtimes with no session and no DGC
// state left.
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
		if rt.dgc.Knows(id) {
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

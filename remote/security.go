package remote

import (
	"context"
	"fmt"
	"net"
	"net/netip"

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
	c, ok := ctx.Value(callerKey{}).(*transport.Conn)
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

// authorize runs the runtime's and the export's rules.
func (rt *Runtime) authorize(ctx context.Context, e *export, call Call) error {
	if e.num == reservedDGC {
		return nil
	}
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
// principal when the connection authenticated, its host's address when
// not. Another peer presenting the same id is refused while the first
// has a session or DGC state here, so it can neither clean that
// runtime's references nor take over its calls.
func (rt *Runtime) claim(id uuid.UUID, who Principal, addr net.Addr) error {
	key := "host " + hostOf(addr)
	if who.Authenticated() {
		key = "principal " + who.Name
	}
	t := &rt.sessions
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev, ok := t.claims[id]; ok && prev != key {
		rt.log.Warn("objrmi: refused a runtime id claimed by another peer", "runtime", id, "claimant", key)
		return &transport.Refusal{Code: objerr.CodeAccessDenied,
			Reason: fmt.Sprintf("runtime id %s is in use by another peer", id)}
	}
	t.claims[id] = key
	return nil
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

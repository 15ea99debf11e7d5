package registry

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/objrmi/objrmi/remote"
)

// Op is a change to the bindings that Access rules on.
type Op string

// The operations that change bindings.
const (
	OpBind   Op = "bind"
	OpRebind Op = "rebind"
	OpUnbind Op = "unbind"
)

// Access decides whether the caller of a Bind, Rebind or Unbind may make
// it: nil allows it. It runs before the method, as the registry export's
// remote.Authorizer, so a refusal reaches the caller as ErrAccessDenied
// (objerr.ErrAccessDenied, "not sent") and the method never runs. ctx is
// the call's: remote.PrincipalOf, remote.CallerAddr and remote.Caller say
// who is calling. Lookup and List are open to every caller.
type Access func(ctx context.Context, op Op) error

// LocalOnly is the default Access, Java RMI's rule: only callers on the
// registry's own host may change bindings. A caller is on this host when
// its connection comes from an address that one of the host's network
// interfaces has: 127.0.0.1, ::1 and the interfaces' own addresses. The
// rest of 127.0.0.0/8 is not among them, so 127.0.0.2 stands in for
// another host in tests. A call from the registry's own process, with no
// connection, is local.
func LocalOnly(ctx context.Context, op Op) error {
	addr, ok := remote.CallerAddr(ctx)
	if !ok {
		return nil
	}
	ip, local := hostAddr(addr)
	if local {
		return nil
	}
	return fmt.Errorf("%s from %s: only callers on the registry's host may change bindings", op, ip)
}

// LocalOr allows the registry's own host (as LocalOnly does) and the
// authenticated principals named: those with the bind right. Principals
// come from a verified client certificate or an accepted token (see
// remote.Options).
func LocalOr(principals ...string) Access {
	return func(ctx context.Context, op Op) error {
		if p, ok := remote.PrincipalOf(ctx); ok && p.Authenticated() && slices.Contains(principals, p.Name) {
			return nil
		}
		if err := LocalOnly(ctx, op); err != nil {
			who := "anonymous caller"
			if p, _ := remote.PrincipalOf(ctx); p.Authenticated() {
				who = "principal " + p.Name
			}
			return fmt.Errorf("%w; %s has no bind right (allowed: %v)", err, who, principals)
		}
		return nil
	}
}

// AllowAll lets any caller change bindings: for tests, or behind a
// network that is trusted as a whole.
func AllowAll(context.Context, Op) error { return nil }

// authorize is the registry export's remote.Authorizer: Access rules on
// the methods that change bindings.
func (s *Server) authorize(ctx context.Context, call remote.Call) error {
	var op Op
	switch call.Method {
	case "Bind":
		op = OpBind
	case "Rebind":
		op = OpRebind
	case "Unbind":
		op = OpUnbind
	default:
		return nil
	}
	return s.opts.Access(ctx, op)
}

// hostAddr returns the IP of addr and whether one of this host's
// interfaces has it.
func hostAddr(addr net.Addr) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Addr{}, false
	}
	ip := ap.Addr().Unmap()
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return ip, false
	}
	for _, a := range ifaddrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == ip {
			return ip, true
		}
	}
	return ip, false
}

package registry

import (
	"context"
	"fmt"
	"net"
	"net/netip"

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
// it; nil allows it. ctx is the call's: remote.CallerAddr and
// remote.Caller say who is calling. A refusal should wrap
// ErrAccessDenied. Lookup and List are open to every caller.
type Access func(ctx context.Context, op Op, name string) error

// LocalOnly is the default Access, Java RMI's rule: only callers on the
// registry's own host may change bindings. A caller is on this host when
// its connection comes from an address that one of the host's network
// interfaces has: 127.0.0.1, ::1 and the interfaces' own addresses. The
// rest of 127.0.0.0/8 is not among them, so 127.0.0.2 stands in for
// another host in tests. A call from the registry's own process, with no
// connection, is local.
func LocalOnly(ctx context.Context, op Op, name string) error {
	addr, ok := remote.CallerAddr(ctx)
	if !ok {
		return nil
	}
	ip, local := hostAddr(addr)
	if local {
		return nil
	}
	return fmt.Errorf("%w: %s %q from %s: only callers on the registry's host may change bindings",
		ErrAccessDenied, op, name, ip)
}

// AllowAll lets any caller change bindings: for tests, or behind a
// network that is trusted as a whole.
func AllowAll(context.Context, Op, string) error { return nil }

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

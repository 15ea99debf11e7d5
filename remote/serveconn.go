package remote

import (
	"fmt"
	"net"

	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/objerr"
)

// ServeConn serves one connection that reached this runtime other than
// through its listener: one end of an in-memory net.Pipe (the benchmark
// of the call path without a kernel), or a socket handed over by a
// supervisor. The other end dials as usual, for instance through
// Options.Dial. The runtime treats nc as an accepted socket: the same
// handshake, security and connection limits, and it owns nc from this
// call on, closing it when the connection ends or the runtime closes.
// It returns once the handshake has started on a goroutine of its own,
// or an error, with nc closed, if the runtime is closing or over
// MaxConns or MaxConnsPerHost (objerr.ErrOverloaded, after telling the
// dialler why, as the listener does; a net.Pipe, which has no buffer,
// cannot carry that refusal, so there the dialler sees the connection
// closed).
func (rt *Runtime) ServeConn(nc net.Conn) error {
	host := limitKey(nc.RemoteAddr())
	closed, over := rt.conns.trackHandshake(nc, host, rt.opts.MaxConns, rt.opts.MaxConnsPerHost)
	if closed {
		nc.Close()
		return errClosed()
	}
	if over != withinLimits {
		limit, name := rt.opts.MaxConns, "MaxConns"
		if over == overPerHost {
			limit, name = rt.opts.MaxConnsPerHost, "MaxConnsPerHost"
		}
		reason := fmt.Sprintf("this runtime has its limit of %d connections (%s): try again later", limit, name)
		transport.RefuseNow(nc, rt.hello(), objerr.CodeOverloaded, reason, refusalWriteTimeout)
		return fmt.Errorf("objrmi: ServeConn: %s: %w", reason, objerr.ErrOverloaded)
	}
	// Counted in wg under the table's lock, so Close, which waits on wg
	// after marking the table closed, cannot miss this handshake.
	if !rt.conns.admit(&rt.wg) {
		rt.conns.untrackHandshake(nc, true)
		nc.Close()
		return errClosed()
	}
	go rt.accept(nc, host)
	return nil
}

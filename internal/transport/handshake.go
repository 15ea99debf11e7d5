package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Dial opens a connection to addr and runs the client half of the
// handshake. It returns the socket, a reader holding anything read past
// the handshake, and the server's hello.
func Dial(ctx context.Context, dial DialFunc, addr string, me wire.Hello, timeout time.Duration) (net.Conn, *bufio.Reader, wire.Hello, error) {
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, wire.Hello{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeConnection,
			Reason: "dial " + addr, Err: err}
	}
	br, peer, err := handshake(ctx, nc, me, timeout)
	if err != nil {
		nc.Close()
		return nil, nil, wire.Hello{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeConnection,
			Reason: "handshake with " + addr, Err: err}
	}
	return nc, br, peer, nil
}

// DialFunc opens a network connection, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Accept runs the server half of the handshake on a fresh socket. check
// sees the client's hello and may refuse it.
func Accept(nc net.Conn, me wire.Hello, timeout time.Duration, check func(wire.Hello) error) (*bufio.Reader, wire.Hello, error) {
	nc.SetDeadline(time.Now().Add(timeout))
	defer nc.SetDeadline(time.Time{})
	br := bufio.NewReaderSize(nc, 32<<10)
	var peer wire.Hello
	if err := wire.ReadHello(br, &peer); err != nil {
		if errors.Is(err, wire.ErrVersion) {
			refusal := me
			refusal.Refusal = err.Error()
			wire.WriteHello(nc, &refusal)
		}
		return nil, peer, err
	}
	if err := check(peer); err != nil {
		refusal := me
		refusal.Refusal = err.Error()
		wire.WriteHello(nc, &refusal)
		return nil, peer, err
	}
	if err := wire.WriteHello(nc, &me); err != nil {
		return nil, peer, err
	}
	return br, peer, nil
}

func handshake(ctx context.Context, nc net.Conn, me wire.Hello, timeout time.Duration) (*bufio.Reader, wire.Hello, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	nc.SetDeadline(deadline)
	defer nc.SetDeadline(time.Time{})
	// A cancelled context interrupts the handshake by expiring the socket.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := wire.WriteHello(nc, &me); err != nil {
		return nil, wire.Hello{}, err
	}
	br := bufio.NewReaderSize(nc, 32<<10)
	var peer wire.Hello
	if err := wire.ReadHello(br, &peer); err != nil {
		return nil, peer, err
	}
	if peer.Refusal != "" {
		return nil, peer, fmt.Errorf("server refused the connection: %s", peer.Refusal)
	}
	return br, peer, nil
}

package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Security is what one runtime asks of the peers that dial it, and the
// TLS it speaks both ways. The token a dialler presents travels in its
// hello (wire.Hello.Token).
type Security struct {
	// TLS, when set, is used on both sides: as the server config for
	// accepted connections (which then must speak TLS) and as the client
	// config for references that say their owner speaks TLS.
	TLS *tls.Config
	// CheckToken turns a presented token into a principal name, or
	// refuses it. Nil: tokens are ignored.
	CheckToken func(ctx context.Context, token string) (string, error)
	// RequireAuth refuses a dialler that proved no identity.
	RequireAuth bool
}

// Dial opens a connection to addr, runs TLS if tlsCfg is set, and then
// the client half of the objrmi handshake. It returns the connection, a
// reader over it, the server's hello and the server's principal (its
// certificate, under TLS).
func Dial(ctx context.Context, dial DialFunc, addr string, me wire.Hello, timeout time.Duration, tlsCfg *tls.Config) (net.Conn, wire.Hello, Principal, error) {
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	// A refusal or a TLS mismatch is already a typed error; anything
	// else is a connection failure.
	fail := func(what string, err error) (net.Conn, wire.Hello, Principal, error) {
		var oe *objerr.Error
		if !errors.As(err, &oe) {
			oe = &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeConnection, Reason: what + " " + addr, Err: err}
		}
		return nil, wire.Hello{}, Principal{}, oe
	}
	raw, err := dial(ctx, "tcp", addr)
	if err != nil {
		return fail("dial", err)
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	raw.SetDeadline(deadline)
	// A cancelled context interrupts the handshake by expiring the socket.
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	nc, principal := raw, Principal{}
	if tlsCfg != nil {
		tc, err := clientTLS(ctx, raw, addr, tlsCfg)
		if err != nil {
			raw.Close()
			return fail("TLS handshake with", err)
		}
		nc, principal = tc, certPrincipal(tc.ConnectionState())
	}
	peer, err := clientHello(nc, me, addr)
	if err != nil {
		nc.Close()
		return fail("handshake with", err)
	}
	raw.SetDeadline(time.Time{})
	return nc, peer, principal, nil
}

// readBufSize is the size of a connection's read and write buffers,
// taken from a pool only while data moves (bufs.go), so an idle
// connection holds neither. They are small: a frame larger than the
// buffer bypasses it, and 8 KiB still carries a hundred small calls per
// syscall.
const readBufSize = 8 << 10

func clientTLS(ctx context.Context, nc net.Conn, addr string, cfg *tls.Config) (*tls.Conn, error) {
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		}
	}
	rec := &recordingConn{Conn: nc}
	tc := tls.Client(rec, cfg)
	err := tc.HandshakeContext(ctx)
	rec.stop()
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) && string(rh.RecordHeader[:len(wire.Magic)]) == wire.Magic {
		// A plaintext objrmi hello: a TLS runtime refusing the socket
		// before its TLS handshake (over a connection limit), or a
		// runtime without TLS. Its bytes are what TLS read, then the rest.
		var h wire.Hello
		if wire.ReadHello(io.MultiReader(bytes.NewReader(rec.seen), nc), &h) == nil &&
			h.Refusal != "" && h.Code != objerr.CodeTLSMismatch {
			return nil, refusedBy(addr, h)
		}
		return nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeTLSMismatch,
			Reason: addr + " answered in plaintext objrmi: it does not use TLS, but the reference or URL says it does"}
	}
	return tc, err
}

// recordingConn keeps the first bytes a TLS client reads, as long as
// they may be a plaintext objrmi hello (they start with its magic), so
// that a refusal sent in plaintext can be read back.
//
// Only the handshake's goroutine reads it until stop; the connection's
// reader starts after Dial returns, so no lock is needed.
type recordingConn struct {
	net.Conn
	seen    []byte
	stopped bool
}

// maxRecorded bounds what recordingConn keeps: a hello's head and body.
const maxRecorded = 16 << 10

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.stopped && n > 0 {
		c.seen = append(c.seen, p[:n]...)
		m := min(len(c.seen), len(wire.Magic))
		if string(c.seen[:m]) != wire.Magic[:m] || len(c.seen) > maxRecorded {
			c.stopped, c.seen = true, nil
		}
	}
	return n, err
}

func (c *recordingConn) stop() { c.stopped = true }

func clientHello(nc net.Conn, me wire.Hello, addr string) (wire.Hello, error) {
	werr := wire.WriteHello(nc, &me)
	// A server that refused at once may have closed before the hello
	// arrived, failing the write; its refusal can still be read.
	var peer wire.Hello
	if err := wire.ReadHello(nc, &peer); err != nil {
		if werr != nil {
			return peer, werr
		}
		return peer, err
	}
	if peer.Refusal != "" {
		return peer, refusedBy(addr, peer)
	}
	if werr != nil {
		return peer, werr
	}
	return peer, nil
}

// refusedBy is the dialler's error for the refusal hello h from addr.
func refusedBy(addr string, h wire.Hello) error {
	code := h.Code
	if code == 0 {
		code = objerr.CodeConnection
	}
	return &objerr.Error{Kind: objerr.KindNotSent, Code: code,
		Reason: addr + " refused the connection: " + h.Refusal}
}

// DialFunc opens a network connection, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Refusal is an error that Accept's check returns to refuse a peer with
// a code the dialler can match.
type Refusal struct {
	Code   objerr.Code
	Reason string
}

func (r *Refusal) Error() string { return r.Reason }

// Accept runs the server half of the handshake on a fresh socket: TLS if
// sec asks for it, the hello, then authentication. check sees the
// client's hello and principal and may refuse them.
func Accept(nc net.Conn, me wire.Hello, timeout time.Duration, sec *Security, check func(wire.Hello, Principal) error) (net.Conn, wire.Hello, Principal, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	nc.SetDeadline(time.Now().Add(timeout))
	var first [1]byte
	if _, err := io.ReadFull(nc, first[:]); err != nil {
		return nil, wire.Hello{}, Principal{}, err
	}
	peeked := &peekedConn{Conn: nc, first: first[0], unread: true}
	conn, principal := net.Conn(peeked), Principal{}
	speaksTLS := first[0] == 0x16 // a TLS record of type handshake
	switch {
	case sec.TLS != nil && !speaksTLS:
		return nil, wire.Hello{}, principal, refuse(nc, me, objerr.CodeTLSMismatch,
			"this runtime requires TLS: dial it with TLS (an objrmis:// URL, or a reference that says TLS)")
	case sec.TLS == nil && speaksTLS:
		return nil, wire.Hello{}, principal, refuse(nc, me, objerr.CodeTLSMismatch,
			"this runtime does not speak TLS: dial it in plaintext")
	case sec.TLS != nil:
		tc := tls.Server(peeked, sec.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, wire.Hello{}, principal, fmt.Errorf("TLS handshake: %w", err)
		}
		conn, principal = tc, certPrincipal(tc.ConnectionState())
	}
	var peer wire.Hello
	if err := wire.ReadHello(conn, &peer); err != nil {
		if errors.Is(err, wire.ErrVersion) {
			refuse(conn, me, objerr.CodeProtocol, err.Error())
		}
		return nil, peer, principal, err
	}
	principal, err := authenticate(ctx, sec, peer.Token, principal)
	if err == nil {
		err = check(peer, principal)
	}
	if err != nil {
		r := &Refusal{Code: objerr.CodeAccessDenied, Reason: err.Error()}
		errors.As(err, &r)
		return nil, peer, principal, refuse(conn, me, r.Code, r.Reason)
	}
	if err := wire.WriteHello(conn, &me); err != nil {
		return nil, peer, principal, err
	}
	nc.SetDeadline(time.Time{})
	return conn, peer, principal, nil
}

// RefuseNow refuses a fresh socket before any handshake: it writes a
// plaintext hello saying why, with code, within timeout, and closes the
// socket. A dialler reads it whether it spoke plaintext or TLS (see
// clientTLS). It is for the accept loop, so it never blocks longer than
// timeout.
func RefuseNow(nc net.Conn, me wire.Hello, code objerr.Code, reason string, timeout time.Duration) {
	nc.SetWriteDeadline(time.Now().Add(timeout))
	refuse(nc, me, code, reason)
	nc.Close()
}

// refuse tells the peer why, in a hello, and returns the same reason as
// the server's error.
func refuse(w io.Writer, me wire.Hello, code objerr.Code, reason string) error {
	me.Refusal, me.Code = reason, code
	wire.WriteHello(w, &me)
	return &Refusal{Code: code, Reason: reason}
}

// authenticate settles the dialler's principal: its verified
// certificate, else its token, else none, which RequireAuth refuses.
func authenticate(ctx context.Context, sec *Security, token string, p Principal) (Principal, error) {
	if !p.Authenticated() && token != "" && sec.CheckToken != nil {
		name, err := sec.CheckToken(ctx, token)
		if err != nil {
			return p, &Refusal{Code: objerr.CodeUnauthenticated, Reason: "the token was not accepted"}
		}
		p = Principal{Name: name, Via: ViaToken}
	}
	if sec.RequireAuth && !p.Authenticated() {
		return p, &Refusal{Code: objerr.CodeUnauthenticated,
			Reason: "authentication required: present a client certificate this runtime trusts, or a token"}
	}
	return p, nil
}

// peekedConn gives back the byte Accept read to tell TLS from plaintext.
type peekedConn struct {
	net.Conn
	first  byte
	unread bool
}

func (c *peekedConn) Read(p []byte) (int, error) {
	if c.unread && len(p) > 0 {
		c.unread = false
		p[0] = c.first
		return 1, nil
	}
	return c.Conn.Read(p)
}

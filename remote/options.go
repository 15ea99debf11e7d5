package remote

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/objrmi/objrmi/internal/transport"
)

// Options configures a Runtime. The zero value is a client-only runtime
// (no listener) with production defaults.
type Options struct {
	// Listen is the TCP address to accept connections on, such as
	// "127.0.0.1:0". Empty means no listener: the runtime can still call
	// out, and its own objects are called back over the connections it
	// opened.
	Listen string
	// Advertise is the endpoint written into references to this runtime's
	// objects. Default: the listener's address.
	Advertise string

	// MaxFrameSize bounds one message. Default 16 MiB.
	MaxFrameSize int
	// MaxInflight bounds the calls served at once per connection; more
	// wait (back-pressure). Default 1024.
	MaxInflight int
	// HeartbeatInterval is how often an idle connection sends a ping.
	// Default 5 s.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a silent peer is given before its
	// connection is declared dead. Default 4 × HeartbeatInterval.
	HeartbeatTimeout time.Duration
	// HandshakeTimeout bounds the opening of a connection. Default 10 s.
	HandshakeTimeout time.Duration
	// DialTimeout bounds connecting to a peer when the call's context has
	// no earlier deadline. Default 10 s.
	DialTimeout time.Duration
	// Dial opens the TCP connections to peers: a net.Dialer's DialContext
	// with a chosen local address, a SOCKS proxy, an SSH tunnel. Default:
	// a plain net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// Lease is how long another runtime's references to this runtime's
	// objects last without renewal; holders renew at half of it. A holder
	// that dies is forgotten, and objects it alone held are unreferenced,
	// at most Lease + LeaseCheckInterval after its last renewal. Default
	// 30 s: renewal then costs each holder one message per 15 s per owner
	// runtime, however many references it holds.
	Lease time.Duration
	// LeaseCheckInterval is how often lapsed leases, ended in-transit
	// windows and orphaned calls are looked for. Default Lease/20, at most
	// 1 s.
	LeaseCheckInterval time.Duration
	// OrphanGrace is how long a caller whose connection was lost has to
	// reconnect before the calls it left running here are cancelled with
	// objerr.ErrOrphaned. Default 10 s.
	OrphanGrace time.Duration
	// TransitTimeout is how long a reference inside a message keeps its
	// object alive while the receiver's dirty is on its way. Default 30 s.
	TransitTimeout time.Duration

	// Logger receives the runtime's logs. Default: discarded.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxFrameSize < 0 || o.MaxInflight < 0 || o.HeartbeatInterval < 0 ||
		o.HeartbeatTimeout < 0 || o.HandshakeTimeout < 0 || o.DialTimeout < 0 ||
		o.Lease < 0 || o.LeaseCheckInterval < 0 || o.OrphanGrace < 0 || o.TransitTimeout < 0 {
		return o, errors.New("objrmi: Options: limits and durations must not be negative")
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.Lease == 0 {
		o.Lease = 30 * time.Second
	}
	if o.LeaseCheckInterval == 0 {
		o.LeaseCheckInterval = min(max(o.Lease/20, time.Millisecond), time.Second)
	}
	if o.OrphanGrace == 0 {
		o.OrphanGrace = 10 * time.Second
	}
	if o.TransitTimeout == 0 {
		o.TransitTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	tc := o.transport()
	if tc.HeartbeatTimeout <= tc.HeartbeatInterval {
		return o, errors.New("objrmi: Options: HeartbeatTimeout must exceed HeartbeatInterval")
	}
	return o, nil
}

func (o Options) transport() transport.Config {
	return transport.Config{
		MaxFrameSize:      o.MaxFrameSize,
		HeartbeatInterval: o.HeartbeatInterval,
		HeartbeatTimeout:  o.HeartbeatTimeout,
		MaxInflight:       o.MaxInflight,
		Logger:            o.Logger,
	}.WithDefaults()
}

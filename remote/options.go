package remote

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
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

	// TLS encrypts and authenticates connections. With it set, the
	// listener speaks only TLS (Certificates; ClientCAs and ClientAuth for
	// mutual TLS), references to this runtime's objects say so, and it is
	// the client config for dialling owners whose references say TLS
	// (RootCAs; Certificates for mutual TLS). Without it, a reference
	// that says TLS is dialled with the host's root CAs.
	TLS *tls.Config
	// Token is presented when this runtime dials another over TLS, for a
	// server that checks tokens (CheckToken). It is never sent in
	// plaintext, unless InsecureToken says so: any reference can name any
	// endpoint, and in plaintext anyone on the path reads it.
	Token string
	// InsecureToken sends Token over plaintext connections too: for a
	// network trusted as a whole, and for tests.
	InsecureToken bool
	// CheckToken turns the token a dialler presents into its principal's
	// name, or refuses the connection by returning an error. A verified
	// client certificate takes precedence over a token.
	CheckToken func(ctx context.Context, token string) (principal string, err error)
	// RequireAuth refuses connections whose dialler proved no identity:
	// no verified client certificate and no accepted token.
	RequireAuth bool
	// Authorize decides every call to this runtime's objects, after the
	// connection is authenticated and before the arguments are decoded:
	// a non-nil error refuses the call with objerr.ErrAccessDenied, and
	// the method does not run. Calls to objects or methods that do not
	// exist are decided too (see Call), so a refused caller cannot probe
	// for them. An export can add its own rule (WithAuthorize). The DGC's
	// Dirty and Clean are not subject to it: they only ever act for the
	// caller's own, claimed, runtime id. Its Inspect, which tells who
	// holds an object, is closed to other runtimes unless Authorize is
	// set and allows it (Interface "Service", Method "Inspect"). Nil
	// allows every call but Inspect.
	Authorize Authorizer

	// MaxFrameSize bounds one message. Default 16 MiB.
	MaxFrameSize int
	// MaxDepth bounds how deeply arrays and maps nest in one message's
	// values. Default 64.
	MaxDepth int
	// MaxCollectionLen bounds the elements of one array or map in a
	// message. Default 1,048,576.
	MaxCollectionLen int
	// MaxInflight bounds the calls served at once per connection; more
	// are refused with objerr.ErrOverloaded. Default 1024.
	MaxInflight int
	// MaxOutstanding bounds this runtime's async calls (futures) and
	// batches awaiting their replies on one connection. Past it, starting
	// another waits until one ends, as long as the call's context allows;
	// if the context ends first, the call fails as not sent. Synchronous
	// calls are bounded by their goroutines and are not counted. Default
	// 1024, the default MaxInflight of a server.
	MaxOutstanding int
	// MaxConns bounds this runtime's connections, open and opening. An
	// accepted connection beyond it is refused at once: the dialler gets
	// objerr.ErrOverloaded naming the limit. Default: nine tenths of
	// the process's limit on open files (RLIMIT_NOFILE), whose soft limit
	// NewRuntime raises to the hard limit where the system allows; 4096
	// where it cannot be read.
	MaxConns int
	// MaxConnsPerHost bounds the connections other runtimes on one host
	// (one IP address; for IPv6, one /64 network) have dialled to this
	// runtime, open and opening, so that one host cannot take every slot
	// of MaxConns. A connection beyond it is refused at once, with
	// objerr.ErrOverloaded naming the limit. Many client runtimes behind
	// one address (a NAT, a proxy, one large test machine) need it
	// raised. Default 256.
	MaxConnsPerHost int
	// IdleTimeout closes a connection this runtime dialled once it has
	// carried no call in either direction for this long; it is dialled
	// again when needed. A connection a peer dialled is closed after twice
	// as long, in case the peer never closes its own. Lease renewals are
	// calls, so a connection that carries references is never idle as
	// long as IdleTimeout exceeds Lease/2. Default 5 minutes, or Lease if
	// that is longer.
	IdleTimeout time.Duration
	// HeartbeatInterval is how often an idle connection sends a ping.
	// Default 5 s.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a silent peer is given before its
	// connection is declared dead: no frame from it, or no 32 KiB more of
	// a large frame, for this long. It also bounds every socket write: a
	// peer that reads nothing for this long is cut. Default 4 ×
	// HeartbeatInterval.
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
	// HolderGrace is how long a holder that listens on no port may stay
	// disconnected before its leases here end, and the objects only it
	// held are unreferenced (gc.Disconnected), without waiting for the
	// whole Lease. Such a holder can be neither called back nor dialled:
	// until it dials again, it is as good as gone. The trade-off: a
	// listenerless client whose network fails for longer than this loses
	// its hold, and finds objects that were collected meanwhile gone when
	// it comes back. Default 10 s.
	HolderGrace time.Duration
	// TransitTimeout is how long a reference inside a message keeps its
	// object alive while the receiver's dirty is on its way. A receiver
	// acknowledges a reference to a third runtime's object once that
	// owner has answered its own claim, which ends the sender's hold
	// early: the timeout is for receivers that die. Default 30 s.
	TransitTimeout time.Duration

	// MaxRefsPerPeer bounds the references to other runtimes' objects
	// that one peer can make this runtime hold, by sending them in calls
	// or results; MaxRefs bounds those held in all. A message that would
	// pass either fails to decode with objerr.ErrLimit (a call is refused
	// with CodeLimit, not run; a reply fails its call as "outcome
	// unknown", wrapping objerr.ErrLimit); the references it decoded
	// before the breach are released when Go collects their stubs.
	// Defaults 16,384 and 262,144.
	MaxRefsPerPeer, MaxRefs int
	// MaxOwnersPerPeer bounds the distinct owner runtimes that one peer
	// can make this runtime hold references of (each costs an owner
	// record and DGC traffic, and a goroutine only while a message to it
	// is in flight and its lease is current); MaxOwners bounds them in
	// all. Breaches fail like MaxRefsPerPeer. Defaults 256 and 4,096.
	MaxOwnersPerPeer, MaxOwners int

	// Logger receives the runtime's logs. Default: discarded.
	Logger *slog.Logger

	// Retry is the runtime's retry policy for calls on its stubs
	// (RetryPolicy); a stub (Retrying) or a call (WithRetry) can have its
	// own. The zero value never retries.
	Retry RetryPolicy
	// Breaker, if set, gives each remote endpoint a circuit breaker
	// (BreakerPolicy). Nil: none.
	Breaker *BreakerPolicy
	// Completion bounds the completion records this runtime keeps, as a
	// server, for callers' exactly-once calls (CompletionLimits).
	Completion CompletionLimits
	// ClientInterceptors wrap each method call this runtime makes, and
	// ServerInterceptors each call it serves that its rules allowed; the
	// first is outermost (see Interceptor). Observers see every call on
	// both sides, outside the interceptors, for metrics and traces (see
	// Observer). None by default: a call then costs nothing more.
	ClientInterceptors, ServerInterceptors []Interceptor
	Observers                              []Observer
	// DisableIntrospection leaves out the introspection object every
	// runtime exports at IntrospectID, which describes the interfaces of
	// its exports to callers its rules allow (see Introspector).
	DisableIntrospection bool
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxFrameSize < 0 || o.MaxInflight < 0 || o.MaxOutstanding < 0 || o.HeartbeatInterval < 0 ||
		o.MaxDepth < 0 || o.MaxCollectionLen < 0 || o.MaxConns < 0 || o.MaxConnsPerHost < 0 || o.IdleTimeout < 0 ||
		o.HeartbeatTimeout < 0 || o.HandshakeTimeout < 0 || o.DialTimeout < 0 ||
		o.Lease < 0 || o.LeaseCheckInterval < 0 || o.OrphanGrace < 0 || o.HolderGrace < 0 || o.TransitTimeout < 0 ||
		o.MaxRefsPerPeer < 0 || o.MaxRefs < 0 || o.MaxOwnersPerPeer < 0 || o.MaxOwners < 0 {
		return o, errors.New("objrmi: Options: limits and durations must not be negative")
	}
	if o.MaxConns == 0 {
		o.MaxConns = defaultMaxConns()
	}
	if o.MaxConnsPerHost == 0 {
		o.MaxConnsPerHost = 256
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
	if o.IdleTimeout == 0 {
		o.IdleTimeout = max(5*time.Minute, o.Lease)
	}
	if o.LeaseCheckInterval == 0 {
		o.LeaseCheckInterval = min(max(o.Lease/20, time.Millisecond), time.Second)
	}
	if o.OrphanGrace == 0 {
		o.OrphanGrace = 10 * time.Second
	}
	if o.HolderGrace == 0 {
		o.HolderGrace = 10 * time.Second
	}
	if o.TransitTimeout == 0 {
		o.TransitTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	def(&o.MaxRefsPerPeer, 1<<14)
	def(&o.MaxRefs, 1<<18)
	def(&o.MaxOwnersPerPeer, 256)
	def(&o.MaxOwners, 4096)
	if o.MaxRefsPerPeer > o.MaxRefs || o.MaxOwnersPerPeer > o.MaxOwners {
		return o, errors.New("objrmi: Options: a per-peer limit (MaxRefsPerPeer, MaxOwnersPerPeer) must not exceed its total (MaxRefs, MaxOwners)")
	}
	if o.IdleTimeout <= o.Lease/2 {
		return o, errors.New("objrmi: Options: IdleTimeout must exceed Lease/2, or renewals would find their connections closed")
	}
	tc := o.transport()
	if tc.HeartbeatTimeout <= tc.HeartbeatInterval {
		return o, errors.New("objrmi: Options: HeartbeatTimeout must exceed HeartbeatInterval")
	}
	return o, o.faultDefaults() // retry.go
}

func (o Options) transport() transport.Config {
	return transport.Config{
		MaxFrameSize:      o.MaxFrameSize,
		HeartbeatInterval: o.HeartbeatInterval,
		HeartbeatTimeout:  o.HeartbeatTimeout,
		MaxInflight:       o.MaxInflight,
		MaxOutstanding:    o.MaxOutstanding,
		IdleTimeout:       o.IdleTimeout,
		Limits:            wire.Limits{MaxDepth: o.MaxDepth, MaxCollectionLen: o.MaxCollectionLen},
		Logger:            o.Logger,
	}.WithDefaults()
}

// refs is the holder side's configuration.
func (o Options) refs() link.HoldersConfig {
	return link.HoldersConfig{Transit: o.TransitTimeout, Lease: o.Lease, Logger: o.Logger, MaxRenewal: o.IdleTimeout / 2,
		MaxRefs: o.MaxRefs, MaxRefsPerPeer: o.MaxRefsPerPeer, MaxOwners: o.MaxOwners, MaxOwnersPerPeer: o.MaxOwnersPerPeer}
}

func (o Options) security() *transport.Security {
	return &transport.Security{TLS: o.TLS, CheckToken: o.CheckToken, RequireAuth: o.RequireAuth}
}

package remote

import (
	"errors"
	"log/slog"
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

	// Logger receives the runtime's logs. Default: discarded.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxFrameSize < 0 || o.MaxInflight < 0 || o.HeartbeatInterval < 0 ||
		o.HeartbeatTimeout < 0 || o.HandshakeTimeout < 0 || o.DialTimeout < 0 {
		return o, errors.New("objrmi: Options: limits and durations must not be negative")
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 10 * time.Second
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

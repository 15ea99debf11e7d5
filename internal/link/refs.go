package link

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/wire"
)

// Owner names the runtime that owns some of the held references.
type Owner struct {
	Runtime  uuid.UUID
	Endpoint string
	TLS      bool // the endpoint speaks only TLS
}

// Sender delivers dirty and clean messages to an owner's DGC object.
type Sender interface {
	Dirty(ctx context.Context, to Owner, d gc.Dirty) (gc.Grant, error)
	Clean(ctx context.Context, to Owner, c gc.Clean) error
	// Received acknowledges, to the runtime that sent them, references
	// whose claim their owner has answered (see Holders.HoldFrom).
	Received(ctx context.Context, to Owner, r gc.Received) error
}

// HoldersConfig times the holder's side. Zero fields take defaults.
type HoldersConfig struct {
	Transit     time.Duration // how long a sent reference stays pinned; default 30 s
	CallTimeout time.Duration // bound on one dirty or clean; default 10 s
	MinBackoff  time.Duration // first retry of a failed message; default 100 ms
	MaxBackoff  time.Duration // cap on retry delays; default 10 s
	MaxCleans   int           // attempts at one clean before the lease is left to lapse; default 5
	// Lease is assumed for an owner that has never granted one: a
	// reference it has not acknowledged within it is given up as lost.
	// Default 30 s.
	Lease time.Duration
	// Workers bounds the goroutines that plan the owners' rounds, and
	// talk to owners whose lease is not current (and acknowledge
	// references to their senders), however many owners there are.
	// An owner whose lease is current has a goroutine of its own while
	// its messages are in flight (see refs/sched.go). Default 8.
	Workers int
	// MaxRefs bounds the references held in all, and MaxRefsPerPeer
	// those that one peer introduced (sent this runtime); HoldFrom
	// refuses more with objerr.ErrLimit. Defaults 262,144 and 16,384.
	MaxRefs, MaxRefsPerPeer int
	// MaxOwners bounds the owner runtimes held from in all, and
	// MaxOwnersPerPeer those that one peer introduced. Defaults 4,096 and
	// 256.
	MaxOwners, MaxOwnersPerPeer int
	// MaxRenewal, if set, caps the time between two renewals to one
	// owner below half its lease: the runtime's IdleTimeout/2, so that a
	// connection carrying references never closes as idle.
	MaxRenewal time.Duration
	Logger     *slog.Logger
}

// Held describes one reference this runtime holds.
type Held struct {
	Ref   wire.Ref
	Stubs int    // live stubs; 0 while only a transit pin holds it
	State string // "claiming", "held", "retrying", or "gone: <why>"
}

// Holders is the table of references one runtime holds (package refs).
type Holders interface {
	// Hold counts a stub of ref; release ends the count.
	Hold(ref wire.Ref) (release func())
	// HoldFrom counts a stub of ref that arrived from a peer in a
	// message, claiming the sender's in-transit pin sent.
	HoldFrom(ref wire.Ref, from Owner, sent uint64) (release func(), err error)
	// Pin keeps ref held while it travels to the runtime to, and returns
	// the pin's number.
	Pin(ref wire.Ref, to uuid.UUID) uint64
	// Acked ends the pins whose receivers say their claims were answered.
	Acked(from uuid.UUID, refs []gc.Passed)
	// Watch returns a context that ends when ref is known to be gone.
	Watch(ref wire.Ref) context.Context
	// Confirm waits until ref's owner has granted this runtime's claim.
	Confirm(ctx context.Context, ref wire.Ref) error
	// Holds says whether anything is held from owner.
	Holds(owner uuid.UUID) bool
	// Renew renews the leases on owner at once.
	Renew(owner uuid.UUID)
	// ReleaseAll sends every owner a clean for all it holds, within ctx.
	ReleaseAll(ctx context.Context)
	// Snapshot lists the held references, ordered by owner and object.
	Snapshot() []Held
	Close()
}

// NewHolders returns an empty table that talks to owners through s. Set
// by package refs.
var NewHolders func(cfg HoldersConfig, s Sender) Holders

package remote

import (
	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/wire"
)

// Ref names a remote object: the owner runtime's identity and endpoint,
// the object number, and the remote interface. It is a plain value that
// can be printed, stored (all of it: see Key) and compared, turned back
// into a stub with StubOf, and passed in a call as a parameter or result
// of type Ref, which the receiver can hand to StubOf in turn.
type Ref struct {
	// Runtime is the owner runtime's identity, fixed for its life: a
	// reference outlives a restart of its owner only as "no such object".
	Runtime uuid.UUID
	// Endpoint is the owner's listener, "host:port", or "" if it has
	// none: such an object is reached only over a connection its owner
	// opened.
	Endpoint string
	// Object numbers the object in its owner: 1 is the owner's DGC,
	// 2 to FirstDynamicID-1 are well-known ids (WithID), and higher ones
	// are given out by Export.
	Object uint64
	// Iface is the remote interface's name, as objrmi hashes it.
	Iface string
	// TLS says the owner's listener speaks only TLS.
	TLS bool
	// Pin is set only while the reference travels inside a message from
	// its owner: the number of the owner's in-transit pin, which the
	// receiver's claim ends. References users see have it zero.
	Pin uint64
	// Key is the owner's secret for the object, chosen at random when it
	// was exported: a runtime the owner never sent the object to (a
	// third-party hand-off) proves with it that it was given the
	// reference, rather than guessed the number. Keep it with the rest of
	// the reference when storing one; String leaves it out.
	Key uint64
}

// String prints the reference as Iface@endpoint/runtime#object, without
// its Key.
func (r Ref) String() string { return wire.Ref(r).String() }

// The runtime works on wire.Ref, the same fields in the wire package; a
// conversion between the two is free, and this one stops compiling if
// their fields ever differ.
func (r Ref) wire() wire.Ref { return wire.Ref(r) }

func fromWire(r wire.Ref) Ref { return Ref(r) }

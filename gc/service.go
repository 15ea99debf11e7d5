package gc

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Service is the remote interface of the DGC object that every runtime
// exports at a reserved well-known id. Holders call it on the owner; the
// owner learns who is calling from the connection, never from the
// message, so a holder can only speak for itself.
type Service interface {
	// Dirty records that the caller holds objs and renews its lease.
	// With no objs it is a plain renewal.
	Dirty(ctx context.Context, req Dirty) (Grant, error)
	// Clean records that the caller no longer holds objs.
	Clean(ctx context.Context, req Clean) error
	// Received tells the runtime that sent the caller references to a
	// third runtime's objects that the caller's own claim on them has
	// been granted (or refused) by their owner, so the sender's
	// in-transit pins for the caller can end now rather than at the
	// transit timeout. Only the pins made for the caller end.
	Received(ctx context.Context, req Received) error
	// Inspect reports who holds obj, for tools (objregistry lookup). An
	// object at a well-known id is not counted and has no holders.
	Inspect(ctx context.Context, obj uint64) (Object, error)
}

// Dirty is a holder's "I hold these" message.
type Dirty struct {
	Seq uint64
	// Epoch is the epoch of the last grant the holder heard from this
	// owner, 0 if none: a grant it missed made the owner start a new one.
	Epoch   uint64
	Objects []uint64
	// Keys, parallel to Objects, are the keys the references carried:
	// the proof that lets a runtime the owner never sent an object to
	// (a third-party hand-off) claim it.
	Keys []uint64
	// Pins, parallel to Objects, claims the in-transit pin that came with
	// each reference (0 for none).
	Pins []uint64
}

// Clean is a holder's "I no longer hold these" message. Strong asks the
// owner to remember Seq even though it no longer lists the holder, because
// an earlier dirty of the holder failed and may still arrive.
type Clean struct {
	Seq     uint64
	Objects []uint64
	Strong  bool
	// Pins, parallel to Objects (or empty), releases the in-transit pin
	// of a reference the holder let go before its dirty was sent.
	Pins []uint64
}

// Grant answers a Dirty.
type Grant struct {
	// Lease is how long the holder's references last without renewal.
	Lease time.Duration
	// Known is false if the owner had no lease for the caller: it lapsed,
	// or this is the caller's first dirty. A holder that renews and hears
	// Known=false must dirty all it holds again.
	Known bool
	// Epoch names the owner's current record of the caller; the next
	// Dirty carries it. A renewal with another epoch is not Known: the
	// caller missed a grant (it gave up on a dirty that then arrived),
	// and its references must be claimed again.
	Epoch uint64
	// Missing are the objects of the request that are no longer exported,
	// in request order, then the objects the caller held that have been
	// unexported since its last dirty, each with the reason.
	Missing []Missing
}

// Missing names one object a Dirty could not hold, and why.
type Missing struct {
	Object uint64
	Reason string
	// unproven: the object is not tracked and the caller is not known to
	// have had it, so only the key it presented can earn it a reason.
	unproven bool
}

// Unproven reports that the owner's runtime must check the claim's key
// before saying why obj is missing (or refuse it with RefusedReason).
func (m Missing) Unproven() bool { return m.unproven }

// Received lists references that a receiver now holds by its own claim.
type Received struct {
	Refs []Passed
}

// Passed names one reference passed on: the owner runtime and object,
// and the number of the sender's pin that the copy came with.
type Passed struct {
	Owner  uuid.UUID
	Object uint64
	Pin    uint64
}

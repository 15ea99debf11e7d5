package gc

import (
	"context"
	"time"
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
	// Inspect reports who holds obj, for tools (objregistry lookup). An
	// object at a well-known id is not counted and has no holders.
	Inspect(ctx context.Context, obj uint64) (Object, error)
}

// Dirty is a holder's "I hold these" message.
type Dirty struct {
	Seq     uint64
	Objects []uint64
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
	// Missing are the objects of the request that are no longer exported,
	// in request order, then the objects the caller held that have been
	// unexported since its last dirty, each with the reason.
	Missing []Missing
}

// Missing names one object a Dirty could not hold, and why.
type Missing struct {
	Object uint64
	Reason string
}

package remote

import (
	"github.com/google/uuid"

	"github.com/objrmi/objrmi/gc"
)

// Snapshot is what a runtime reports about itself: for tests, tools and
// the registry. Its lists are copies, ordered for stable printing.
type Snapshot struct {
	Runtime  uuid.UUID
	Endpoint string
	// Exports are this runtime's objects, with who holds each.
	Exports []ExportInfo
	// Held are the references this runtime holds on other runtimes'
	// objects.
	Held []Held
	// Serving counts the calls running here for other runtimes; Waiting
	// counts this runtime's own calls waiting on replies.
	Serving, Waiting int
	// Conns counts the live connections to peer runtimes.
	Conns int
	// OrphansCancelled counts, since the start, the calls cancelled here
	// because their caller was gone.
	OrphansCancelled uint64
	// OneWayFailed counts, since the start, the one-way calls whose
	// method here returned an error or panicked (each is logged), and
	// OneWayDropped those dropped because MaxInflight calls were running
	// for half of HeartbeatTimeout.
	OneWayFailed, OneWayDropped uint64
	// DirtyReceived and CleanReceived count the DGC messages received
	// from holders (a renewal is a dirty).
	DirtyReceived, CleanReceived uint64
	// CompletionRecords and CompletionBytes are the exactly-once records
	// kept here (Options.Completion), and RepeatsAnswered counts, since
	// the start, the repeated calls answered from one instead of run.
	CompletionRecords, CompletionBytes int
	RepeatsAnswered                    uint64
}

// Held describes one reference this runtime holds on another runtime's
// object.
type Held struct {
	Ref   Ref
	Stubs int    // live stubs; 0 while only an in-transit pin holds it
	State string // "claiming", "held", "retrying", or "gone: <why>"
}

// ExportInfo describes one exported object.
type ExportInfo struct {
	Ref         Ref
	Implicit    bool        // exported by being passed, not by Export
	Collectable bool        // unexported when its last reference ends
	Holders     []gc.Holder // runtimes holding it, with their lease expiry
	InTransit   int         // receivers whose dirty has not arrived yet
}

// Inspect reports the runtime's exports and their holders, the
// references it holds, its calls in flight, and its orphan count. The
// runtime's own objects (its DGC and introspection) are left out.
func (rt *Runtime) Inspect() Snapshot {
	s := Snapshot{
		Runtime:          rt.id,
		Endpoint:         rt.endpoint,
		OrphansCancelled: rt.sessions.orphans.Load(),
		OneWayFailed:     rt.sessions.oneWayFailed.Load(),
		OneWayDropped:    rt.sessions.oneWayDropped.Load(),
		DirtyReceived:    rt.dgcStats.dirty.Load(),
		CleanReceived:    rt.dgcStats.clean.Load(),
	}
	s.CompletionRecords, s.CompletionBytes, s.RepeatsAnswered = rt.ft.records.stats()
	for _, h := range rt.held.Snapshot() {
		s.Held = append(s.Held, Held{Ref: fromWire(h.Ref), Stubs: h.Stubs, State: h.State})
	}
	for _, e := range rt.exports.all() {
		if rt.ownObject(e.num) {
			continue
		}
		info := ExportInfo{Ref: fromWire(rt.ref(e.num, e.it)), Implicit: e.implicit, Collectable: e.collectable}
		if o, ok := rt.dgc.Inspect(e.num); ok {
			info.Holders, info.InTransit = o.Holders, o.InTransit
		}
		s.Exports = append(s.Exports, info)
	}
	for _, c := range rt.conns.snapshot() {
		in, out := c.Inflight()
		s.Serving += in
		s.Waiting += out
		if c.Err() == nil {
			s.Conns++
		}
	}
	return s
}

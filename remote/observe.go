package remote

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Stats are a runtime's gauges and counters, for metrics: cheaper than
// Inspect, as they list nothing. Counters count since the runtime
// started.
type Stats struct {
	// Exports counts the exported objects (the runtime's own DGC object
	// left out); Holders counts the leases held on them, one per holder
	// and object; InTransit counts their in-transit pins (references
	// sent whose receiver has not claimed them yet).
	Exports, Holders, InTransit int
	// Held counts the references this runtime holds on other runtimes'
	// objects.
	Held int
	// Conns counts the live connections.
	Conns int
	// Serving counts the calls running here for other runtimes; Waiting
	// counts this runtime's own calls waiting on replies.
	Serving, Waiting int
	// LeasesGranted counts the leases this runtime granted to holders
	// (a holder's first dirty, or its first after its lease ended);
	// renewals are counted in DirtyReceived. LeasesLapsed counts the
	// holders whose lease ended without a clean: lapsed, or dropped for
	// a holder that listens on no port and stayed away.
	LeasesGranted, LeasesLapsed uint64
	// Unreferenced counts the objects that lost their last reference.
	Unreferenced uint64
	// OrphansCancelled counts the calls cancelled because their caller
	// was gone.
	OrphansCancelled uint64
	// OneWayFailed and OneWayDropped: see Snapshot.
	OneWayFailed, OneWayDropped uint64
	// DirtyReceived and CleanReceived count the DGC messages received.
	DirtyReceived, CleanReceived uint64
}

// Stats reports the runtime's gauges and counters.
func (rt *Runtime) Stats() Stats {
	s := Stats{
		LeasesGranted:    rt.events.granted.Load(),
		LeasesLapsed:     rt.events.lapsed.Load(),
		Unreferenced:     rt.events.unreferenced.Load(),
		OrphansCancelled: rt.sessions.orphans.Load(),
		OneWayFailed:     rt.sessions.oneWayFailed.Load(),
		OneWayDropped:    rt.sessions.oneWayDropped.Load(),
		DirtyReceived:    rt.dgcStats.dirty.Load(),
		CleanReceived:    rt.dgcStats.clean.Load(),
		Held:             len(rt.held.Snapshot()),
	}
	for _, e := range rt.exports.all() {
		if rt.ownObject(e.num) {
			continue
		}
		s.Exports++
		if o, ok := rt.dgc.Inspect(e.num); ok {
			s.Holders += len(o.Holders)
			s.InTransit += o.InTransit
		}
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

// ConnInfo describes one live connection to a peer runtime.
type ConnInfo struct {
	Peer      uuid.UUID // the peer runtime, as its handshake stated it
	Endpoint  string    // the endpoint the peer advertised; "" if it listens on no port
	Addr      string    // the socket's remote address
	Principal Principal // who the peer proved to be
	TLS       bool
	Dialled   bool // this runtime opened it
	// Serving counts the peer's calls running here; Waiting this
	// runtime's calls waiting on the peer.
	Serving, Waiting int
}

// Connections lists the live connections, ordered by peer.
func (rt *Runtime) Connections() []ConnInfo {
	rt.conns.mu.Lock()
	conns := rt.conns.listLocked()
	accepted := make(map[any]bool, len(rt.conns.accepted))
	for c := range rt.conns.accepted {
		accepted[c] = true
	}
	rt.conns.mu.Unlock()
	out := make([]ConnInfo, 0, len(conns))
	for _, c := range conns {
		if c.Err() != nil {
			continue
		}
		in, waiting := c.Inflight()
		out = append(out, ConnInfo{Peer: c.Peer().Runtime, Endpoint: c.Peer().Endpoint, Addr: c.RemoteAddr().String(),
			Principal: Principal(c.Principal()), TLS: c.TLS(), Dialled: !accepted[c], Serving: in, Waiting: waiting})
	}
	slices.SortFunc(out, func(a, b ConnInfo) int {
		return cmp.Or(slices.Compare(a.Peer[:], b.Peer[:]), cmp.Compare(a.Addr, b.Addr))
	})
	return out
}

// EventKind names what happened in an Event.
type EventKind string

// The DGC's events.
const (
	EventLeaseGranted     EventKind = "lease granted"     // a holder's first dirty, or its first after its lease ended
	EventLeaseLapsed      EventKind = "lease lapsed"      // a holder's lease ended without a clean
	EventHolderDropped    EventKind = "holder dropped"    // a holder that listens on no port stayed away past HolderGrace
	EventUnreferenced     EventKind = "unreferenced"      // an object lost its last reference
	EventOrphansCancelled EventKind = "orphans cancelled" // calls of a caller that is gone were cancelled
)

// Event is something the DGC did, for the debug page.
type Event struct {
	Time   time.Time
	Kind   EventKind
	Peer   uuid.UUID // the holder or caller concerned, if any
	Object uint64    // the object concerned, if any
	Detail string    // why, or how many
}

// maxEvents bounds the events a runtime remembers.
const maxEvents = 64

// eventLog keeps the latest maxEvents events and counts them by kind.
type eventLog struct {
	granted, lapsed, unreferenced atomic.Uint64

	mu   sync.Mutex
	ring [maxEvents]Event
	n    uint64 // events ever logged
}

// note records e; it is called off the call path, when the DGC acts.
func (rt *Runtime) note(e Event) {
	l := &rt.events
	switch e.Kind {
	case EventLeaseGranted:
		l.granted.Add(1)
	case EventLeaseLapsed, EventHolderDropped:
		l.lapsed.Add(1)
	case EventUnreferenced:
		l.unreferenced.Add(1)
	}
	e.Time = time.Now()
	l.mu.Lock()
	l.ring[l.n%maxEvents] = e
	l.n++
	l.mu.Unlock()
}

// Events returns the latest DGC events (at most 64), newest first.
func (rt *Runtime) Events() []Event {
	l := &rt.events
	l.mu.Lock()
	defer l.mu.Unlock()
	n := min(l.n, maxEvents)
	out := make([]Event, 0, n)
	for i := range n {
		out = append(out, l.ring[(l.n-1-i)%maxEvents])
	}
	return out
}

package otelobjrmi

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/objrmi/objrmi/remote"
)

// Instrument registers objrmi's own instruments for rt, read from
// rt.Stats at each collection, with the attribute objrmi.runtime (rt's
// id) so that several runtimes in one process stay apart:
//
//	objrmi.exports                  gauge    objects exported
//	objrmi.dgc.holders              gauge    leases held on them (holder × object)
//	objrmi.dgc.pins_in_transit      gauge    references sent, not claimed yet
//	objrmi.refs.held                gauge    references held on other runtimes' objects
//	objrmi.connections              gauge    live connections
//	objrmi.server.calls.in_flight   gauge    calls running here
//	objrmi.client.calls.in_flight   gauge    calls waiting on replies
//	objrmi.dgc.leases.granted       counter  leases granted (renewals not counted)
//	objrmi.dgc.leases.lapsed        counter  leases that ended without a clean
//	objrmi.dgc.unreferenced         counter  objects that lost their last reference
//	objrmi.calls.orphaned           counter  calls cancelled because their caller was gone
//	objrmi.server.oneway.dropped    counter  one-way calls dropped for want of a slot
//
// Call the returned function to stop (before rt closes, or after: a
// closed runtime reports what it last had).
func (o *Observer) Instrument(rt *remote.Runtime) (unregister func() error, err error) {
	m := o.meter
	var gauges [7]metric.Int64ObservableGauge
	var counters [5]metric.Int64ObservableCounter
	gaugeSpecs := [...][2]string{
		{"objrmi.exports", "Objects the runtime exports."},
		{"objrmi.dgc.holders", "Leases held on the runtime's objects, one per holder and object."},
		{"objrmi.dgc.pins_in_transit", "References sent whose receiver has not claimed them yet."},
		{"objrmi.refs.held", "References the runtime holds on other runtimes' objects."},
		{"objrmi.connections", "Live connections to peer runtimes."},
		{"objrmi.server.calls.in_flight", "Calls running in the runtime for other runtimes."},
		{"objrmi.client.calls.in_flight", "Calls of the runtime waiting on replies."},
	}
	counterSpecs := [...][2]string{
		{"objrmi.dgc.leases.granted", "Leases granted to holders (renewals not counted)."},
		{"objrmi.dgc.leases.lapsed", "Holders' leases that ended without a clean."},
		{"objrmi.dgc.unreferenced", "Objects that lost their last reference."},
		{"objrmi.calls.orphaned", "Calls cancelled because their caller was gone."},
		{"objrmi.server.oneway.dropped", "One-way calls dropped for want of a slot."},
	}
	var obs []metric.Observable
	for i, s := range gaugeSpecs {
		if gauges[i], err = m.Int64ObservableGauge(s[0], metric.WithDescription(s[1]), metric.WithUnit("{"+unitOf(s[0])+"}")); err != nil {
			return nil, err
		}
		obs = append(obs, gauges[i])
	}
	for i, s := range counterSpecs {
		if counters[i], err = m.Int64ObservableCounter(s[0], metric.WithDescription(s[1]), metric.WithUnit("{"+unitOf(s[0])+"}")); err != nil {
			return nil, err
		}
		obs = append(obs, counters[i])
	}
	attrs := metric.WithAttributeSet(attribute.NewSet(attribute.String("objrmi.runtime", rt.ID().String())))
	reg, err := m.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
		st := rt.Stats()
		for i, v := range []int{st.Exports, st.Holders, st.InTransit, st.Held, st.Conns, st.Serving, st.Waiting} {
			ob.ObserveInt64(gauges[i], int64(v), attrs)
		}
		for i, v := range []uint64{st.LeasesGranted, st.LeasesLapsed, st.Unreferenced, st.OrphansCancelled, st.OneWayDropped} {
			ob.ObserveInt64(counters[i], int64(v), attrs)
		}
		return nil
	}, obs...)
	if err != nil {
		return nil, err
	}
	return reg.Unregister, nil
}

// unitOf is an instrument's annotation unit, as the conventions write
// counts: {object}, {lease}, {call}...
func unitOf(name string) string {
	switch name {
	case "objrmi.exports", "objrmi.dgc.unreferenced":
		return "object"
	case "objrmi.dgc.holders", "objrmi.dgc.leases.granted", "objrmi.dgc.leases.lapsed":
		return "lease"
	case "objrmi.dgc.pins_in_transit", "objrmi.refs.held":
		return "reference"
	case "objrmi.connections":
		return "connection"
	}
	return "call"
}

package observe

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/objrmi/objrmi/remote"
)

// Buckets are the upper bounds, in seconds, of the latency histograms
// of Calls and of the otel module: from 10 µs, since an objrmi call on
// one host takes tens of microseconds (OpenTelemetry's advisory RPC
// buckets start at 5 ms, where every call would fall in the first).
var Buckets = []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// maxSeries bounds the (side, interface, method, status) series Calls
// keeps; the calls of any more are counted under the method "_OTHER".
const maxSeries = 2048

// Calls is a remote.Observer that counts calls and their latency by
// side, interface, method and status, and keeps the calls in flight
// with their start, for Handler and Metrics. Give the same *Calls to
// the runtime's Options.Observers and to the handlers. The zero value
// is not ready: use NewCalls.
type Calls struct {
	series   sync.Map // seriesKey -> *series
	nSeries  atomic.Int64
	inFlight sync.Map // *remote.CallInfo -> struct{}
}

var _ remote.Observer = (*Calls)(nil)

// NewCalls returns an empty Calls.
func NewCalls() *Calls { return &Calls{} }

type seriesKey struct {
	side                  remote.Side
	iface, method, status string
}

type series struct {
	count   atomic.Uint64
	sumNs   atomic.Int64
	buckets [20]atomic.Uint64 // by Buckets, then +Inf; not cumulative
}

// CallStart implements remote.Observer: the call is in flight.
func (c *Calls) CallStart(ctx context.Context, call *remote.CallInfo) context.Context {
	c.inFlight.Store(call, struct{}{})
	return ctx
}

// CallEnd implements remote.Observer: the call is counted.
func (c *Calls) CallEnd(_ context.Context, call *remote.CallInfo, elapsed time.Duration, err error) {
	c.inFlight.Delete(call)
	k := seriesKey{side: call.Side, iface: call.Interface, method: call.Method, status: Status(err)}
	v, ok := c.series.Load(k)
	if !ok {
		if c.nSeries.Load() >= maxSeries {
			k.iface, k.method = "_OTHER", "_OTHER"
		}
		var loaded bool
		v, loaded = c.series.LoadOrStore(k, new(series))
		if !loaded {
			c.nSeries.Add(1)
		}
	}
	s := v.(*series)
	s.count.Add(1)
	s.sumNs.Add(int64(elapsed))
	secs := elapsed.Seconds()
	i, _ := slices.BinarySearch(Buckets, secs) // the first bound >= secs
	s.buckets[i].Add(1)
}

// methodRow is one series, as the page and the exposition show it.
type methodRow struct {
	Side      string        `json:"side"`
	Interface string        `json:"interface"`
	Method    string        `json:"method"`
	Status    string        `json:"status"`
	Count     uint64        `json:"count"`
	Sum       time.Duration `json:"sum_ns"`
	Buckets   []uint64      `json:"buckets"` // by Buckets, then +Inf; not cumulative
}

func (c *Calls) rows() []methodRow {
	var out []methodRow
	c.series.Range(func(k, v any) bool {
		key, s := k.(seriesKey), v.(*series)
		r := methodRow{Side: key.side.String(), Interface: key.iface, Method: key.method, Status: key.status,
			Count: s.count.Load(), Sum: time.Duration(s.sumNs.Load()), Buckets: make([]uint64, len(s.buckets))}
		for i := range s.buckets {
			r.Buckets[i] = s.buckets[i].Load()
		}
		out = append(out, r)
		return true
	})
	slices.SortFunc(out, func(a, b methodRow) int {
		return cmp.Or(cmp.Compare(a.Side, b.Side), cmp.Compare(a.Interface, b.Interface),
			cmp.Compare(a.Method, b.Method), cmp.Compare(a.Status, b.Status))
	})
	return out
}

// quantile is the upper bound of the bucket that holds the q-th
// quantile of r's calls: an estimate, as histograms give.
func (r methodRow) quantile(q float64) string {
	var total uint64
	for _, n := range r.Buckets {
		total += n
	}
	if total == 0 {
		return "-"
	}
	rank := uint64(q * float64(total))
	var seen uint64
	for i, n := range r.Buckets {
		seen += n
		if seen > rank || seen == total {
			if i == len(Buckets) {
				return "> " + seconds(Buckets[len(Buckets)-1])
			}
			return "≤ " + seconds(Buckets[i])
		}
	}
	return "-"
}

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).String()
}

// flight is a call in flight.
type flight struct {
	Side      string    `json:"side"`
	Interface string    `json:"interface"`
	Method    string    `json:"method"`
	Object    uint64    `json:"object"`
	Peer      string    `json:"peer"`
	Principal string    `json:"principal,omitempty"`
	Started   time.Time `json:"started"`
	Age       string    `json:"age"`
}

func (c *Calls) flights(now time.Time) []flight {
	var out []flight
	c.inFlight.Range(func(k, _ any) bool {
		call := k.(*remote.CallInfo)
		f := flight{Side: call.Side.String(), Interface: call.Interface, Method: call.Method, Object: call.Object,
			Peer: call.Peer.String(), Started: call.Start, Age: now.Sub(call.Start).Round(time.Microsecond).String()}
		if call.Side == remote.ServerSide {
			f.Principal = call.Principal.String()
		}
		out = append(out, f)
		return true
	})
	slices.SortFunc(out, func(a, b flight) int { return a.Started.Compare(b.Started) })
	return out
}

package observe

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/objrmi/objrmi/remote"
)

// Handler returns the debug page of rt, for a program to mount, at
// /debug/objrmi by convention: its exports with their interface,
// holders and lease expiry; the references it holds, with their state;
// its connections, with peer, principal and TLS; its calls in flight,
// with their age, and its calls per method (both from calls, which may
// be nil if the runtime has no Calls observer); orphans cancelled; and
// the latest DGC events. Plain HTML, or JSON with ?format=json. It
// changes nothing, and shows a snapshot taken when it is loaded.
func Handler(rt *remote.Runtime, calls *Calls) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the objrmi debug page is read-only: use GET", http.StatusMethodNotAllowed)
			return
		}
		p := snapshot(rt, calls, time.Now())
		w.Header().Set("Cache-Control", "no-store")
		switch r.URL.Query().Get("format") {
		case "json":
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.Encode(p)
		case "", "html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			if err := pageTemplate.Execute(w, p); err != nil {
				fmt.Fprintf(w, "\n<p>error rendering the page: %s</p>", template.HTMLEscapeString(err.Error()))
			}
		default:
			http.Error(w, "format: want html or json", http.StatusBadRequest)
		}
	})
}

// page is what the debug page shows.
type page struct {
	Runtime  string         `json:"runtime"`
	Endpoint string         `json:"endpoint"`
	Time     time.Time      `json:"time"`
	Stats    remote.Stats   `json:"stats"`
	Exports  []exportRow    `json:"exports"`
	Held     []heldRow      `json:"held"`
	Conns    []connRow      `json:"connections"`
	Calls    bool           `json:"calls_observed"` // a Calls observer is installed
	InFlight []flight       `json:"in_flight"`
	Methods  []methodRowOut `json:"methods"`
	Events   []eventRow     `json:"events"`
}

type exportRow struct {
	Ref         string      `json:"ref"`
	Interface   string      `json:"interface"`
	Object      uint64      `json:"object"`
	Implicit    bool        `json:"implicit"`
	Collectable bool        `json:"collectable"`
	Holders     []holderRow `json:"holders"`
	InTransit   int         `json:"in_transit"`
}

type holderRow struct {
	Runtime   string    `json:"runtime"`
	Expires   time.Time `json:"lease_expires"`
	ExpiresIn string    `json:"lease_expires_in"`
}

type heldRow struct {
	Ref       string `json:"ref"`
	Interface string `json:"interface"`
	Owner     string `json:"owner"`
	Endpoint  string `json:"endpoint"`
	Object    uint64 `json:"object"`
	Stubs     int    `json:"stubs"`
	State     string `json:"state"`
}

type connRow struct {
	Peer      string `json:"peer"`
	Endpoint  string `json:"endpoint"`
	Addr      string `json:"addr"`
	Principal string `json:"principal"`
	TLS       bool   `json:"tls"`
	Dialled   bool   `json:"dialled"`
	Serving   int    `json:"serving"`
	Waiting   int    `json:"waiting"`
}

type methodRowOut struct {
	methodRow
	Mean string `json:"mean"`
	P50  string `json:"p50"`
	P99  string `json:"p99"`
}

type eventRow struct {
	Time   time.Time `json:"time"`
	Ago    string    `json:"ago"`
	Kind   string    `json:"kind"`
	Peer   string    `json:"peer,omitempty"`
	Object uint64    `json:"object,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

func snapshot(rt *remote.Runtime, calls *Calls, now time.Time) page {
	snap := rt.Inspect()
	p := page{Runtime: rt.ID().String(), Endpoint: rt.Endpoint(), Time: now, Stats: rt.Stats(), Calls: calls != nil}
	for _, e := range snap.Exports {
		row := exportRow{Ref: e.Ref.String(), Interface: e.Ref.Iface, Object: e.Ref.Object, Implicit: e.Implicit,
			Collectable: e.Collectable, InTransit: e.InTransit}
		for _, h := range e.Holders {
			row.Holders = append(row.Holders, holderRow{Runtime: h.Runtime.String(), Expires: h.Expires,
				ExpiresIn: h.Expires.Sub(now).Round(time.Millisecond).String()})
		}
		p.Exports = append(p.Exports, row)
	}
	for _, h := range snap.Held {
		p.Held = append(p.Held, heldRow{Ref: h.Ref.String(), Interface: h.Ref.Iface, Owner: h.Ref.Runtime.String(),
			Endpoint: h.Ref.Endpoint, Object: h.Ref.Object, Stubs: h.Stubs, State: h.State})
	}
	for _, c := range rt.Connections() {
		p.Conns = append(p.Conns, connRow{Peer: c.Peer.String(), Endpoint: c.Endpoint, Addr: c.Addr,
			Principal: c.Principal.String(), TLS: c.TLS, Dialled: c.Dialled, Serving: c.Serving, Waiting: c.Waiting})
	}
	if calls != nil {
		p.InFlight = calls.flights(now)
		for _, r := range calls.rows() {
			out := methodRowOut{methodRow: r, Mean: "-", P50: r.quantile(0.5), P99: r.quantile(0.99)}
			if r.Count > 0 {
				out.Mean = (r.Sum / time.Duration(r.Count)).Round(time.Microsecond / 10).String()
			}
			p.Methods = append(p.Methods, out)
		}
	}
	for _, e := range rt.Events() {
		row := eventRow{Time: e.Time, Ago: now.Sub(e.Time).Round(time.Millisecond).String(), Kind: string(e.Kind),
			Object: e.Object, Detail: e.Detail}
		if e.Peer != [16]byte{} {
			row.Peer = e.Peer.String()
		}
		p.Events = append(p.Events, row)
	}
	return p
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>objrmi runtime {{.Runtime}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.9em}td,th{padding:.2em .7em;border:1px solid #ddd;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{font-size:.95em}.n{text-align:right}.none{color:#777}
</style></head><body>
<h1>objrmi runtime <code id="runtime">{{.Runtime}}</code></h1>
<p>Endpoint <code>{{if .Endpoint}}{{.Endpoint}}{{else}}(no listener){{end}}</code> · snapshot at {{.Time.Format "2006-01-02 15:04:05.000 MST"}} · reload to refresh · <a href="?format=json">JSON</a></p>
{{with .Stats}}<table id="stats"><tr>
<th>exports</th><th>holders</th><th>pins in transit</th><th>refs held</th><th>connections</th><th>serving</th><th>waiting</th>
<th>leases granted</th><th>leases lapsed</th><th>unreferenced</th><th>orphans cancelled</th><th>one-way failed</th><th>one-way dropped</th></tr>
<tr><td class="n">{{.Exports}}</td><td class="n">{{.Holders}}</td><td class="n">{{.InTransit}}</td><td class="n">{{.Held}}</td><td class="n">{{.Conns}}</td>
<td class="n">{{.Serving}}</td><td class="n">{{.Waiting}}</td><td class="n">{{.LeasesGranted}}</td><td class="n">{{.LeasesLapsed}}</td>
<td class="n">{{.Unreferenced}}</td><td class="n">{{.OrphansCancelled}}</td><td class="n">{{.OneWayFailed}}</td><td class="n">{{.OneWayDropped}}</td></tr></table>{{end}}

<h2>Exports</h2>
{{if .Exports}}<table id="exports"><tr><th>object</th><th>interface</th><th>kind</th><th>holders (lease expires in)</th><th>in transit</th></tr>
{{range .Exports}}<tr><td class="n">{{.Object}}</td><td>{{.Interface}}</td><td>{{if .Implicit}}implicit{{else}}explicit{{end}}{{if .Collectable}}, collectable{{end}}</td>
<td>{{range .Holders}}<code class="holder">{{.Runtime}}</code> ({{.ExpiresIn}})<br>{{else}}<span class="none">none</span>{{end}}</td><td class="n">{{.InTransit}}</td></tr>
{{end}}</table>{{else}}<p class="none">No exports.</p>{{end}}

<h2>References held</h2>
{{if .Held}}<table id="held"><tr><th>interface</th><th>owner</th><th>endpoint</th><th>object</th><th>stubs</th><th>state</th></tr>
{{range .Held}}<tr><td>{{.Interface}}</td><td><code>{{.Owner}}</code></td><td>{{.Endpoint}}</td><td class="n">{{.Object}}</td><td class="n">{{.Stubs}}</td><td>{{.State}}</td></tr>
{{end}}</table>{{else}}<p class="none">No references held.</p>{{end}}

<h2>Connections</h2>
{{if .Conns}}<table id="connections"><tr><th>peer</th><th>endpoint</th><th>address</th><th>principal</th><th>TLS</th><th>opened by</th><th>serving</th><th>waiting</th></tr>
{{range .Conns}}<tr><td><code>{{.Peer}}</code></td><td>{{if .Endpoint}}{{.Endpoint}}{{else}}<span class="none">no listener</span>{{end}}</td><td>{{.Addr}}</td><td>{{.Principal}}</td>
<td>{{if .TLS}}yes{{else}}no{{end}}</td><td>{{if .Dialled}}this runtime{{else}}the peer{{end}}</td><td class="n">{{.Serving}}</td><td class="n">{{.Waiting}}</td></tr>
{{end}}</table>{{else}}<p class="none">No connections.</p>{{end}}

<h2>Calls in flight</h2>
{{if not .Calls}}<p class="none">Not observed: give the runtime an observe.Calls in Options.Observers.</p>
{{else if .InFlight}}<table id="inflight"><tr><th>side</th><th>method</th><th>object</th><th>peer</th><th>principal</th><th>age</th></tr>
{{range .InFlight}}<tr><td>{{.Side}}</td><td>{{.Interface}}.{{.Method}}</td><td class="n">{{.Object}}</td><td><code>{{.Peer}}</code></td><td>{{.Principal}}</td><td class="n">{{.Age}}</td></tr>
{{end}}</table>{{else}}<p class="none">None.</p>{{end}}

<h2>Calls by method</h2>
{{if not .Calls}}<p class="none">Not observed.</p>
{{else if .Methods}}<table id="methods"><tr><th>side</th><th>method</th><th>status</th><th>calls</th><th>mean</th><th>p50</th><th>p99</th></tr>
{{range .Methods}}<tr><td>{{.Side}}</td><td>{{.Interface}}.{{.Method}}</td><td>{{.Status}}</td><td class="n">{{.Count}}</td><td class="n">{{.Mean}}</td><td class="n">{{.P50}}</td><td class="n">{{.P99}}</td></tr>
{{end}}</table>{{else}}<p class="none">No calls yet.</p>{{end}}

<h2>Recent DGC events</h2>
{{if .Events}}<table id="events"><tr><th>ago</th><th>event</th><th>peer</th><th>object</th><th>detail</th></tr>
{{range .Events}}<tr><td class="n">{{.Ago}}</td><td>{{.Kind}}</td><td>{{if .Peer}}<code>{{.Peer}}</code>{{end}}</td><td class="n">{{if .Object}}{{.Object}}{{end}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>{{else}}<p class="none">None yet.</p>{{end}}
</body></html>
`))

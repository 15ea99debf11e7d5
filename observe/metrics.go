package observe

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/objrmi/objrmi/remote"
)

// Metrics returns a handler that serves rt's metrics, and the calls
// counted by calls (which may be nil), in the Prometheus text format
// (version 0.0.4), for a scrape of /metrics. The names are those the
// otel module's metrics get through OpenTelemetry's Prometheus
// exporter: rpc_server_call_duration_seconds and
// rpc_client_call_duration_seconds (histograms, labelled
// rpc_system_name="objrmi", rpc_method="Interface/Method" and
// rpc_response_status_code), and objrmi_* for the runtime's own.
func Metrics(rt *remote.Runtime, calls *Calls) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		WriteMetrics(w, rt, calls)
	})
}

// WriteMetrics writes what Metrics serves.
func WriteMetrics(w io.Writer, rt *remote.Runtime, calls *Calls) error {
	bw := bufio.NewWriter(w)
	st := rt.Stats()
	gauge := func(name, help string, v int) {
		metric(bw, name, "gauge", help)
		bw.WriteString(name + " " + strconv.Itoa(v) + "\n")
	}
	counter := func(name, help string, v uint64) {
		metric(bw, name, "counter", help)
		bw.WriteString(name + " " + strconv.FormatUint(v, 10) + "\n")
	}
	gauge("objrmi_exports", "Objects this runtime exports.", st.Exports)
	gauge("objrmi_dgc_holders", "Leases held on this runtime's objects, one per holder and object.", st.Holders)
	gauge("objrmi_dgc_pins_in_transit", "References sent whose receiver has not claimed them yet.", st.InTransit)
	gauge("objrmi_refs_held", "References this runtime holds on other runtimes' objects.", st.Held)
	gauge("objrmi_connections", "Live connections to peer runtimes.", st.Conns)
	gauge("objrmi_server_calls_in_flight", "Calls running here for other runtimes.", st.Serving)
	gauge("objrmi_client_calls_in_flight", "Calls of this runtime waiting on replies.", st.Waiting)
	counter("objrmi_dgc_leases_granted_total", "Leases granted to holders (renewals not counted).", st.LeasesGranted)
	counter("objrmi_dgc_leases_lapsed_total", "Holders' leases that ended without a clean.", st.LeasesLapsed)
	counter("objrmi_dgc_unreferenced_total", "Objects that lost their last reference.", st.Unreferenced)
	counter("objrmi_dgc_dirty_total", "DGC dirty messages received (claims and renewals).", st.DirtyReceived)
	counter("objrmi_dgc_clean_total", "DGC clean messages received.", st.CleanReceived)
	counter("objrmi_calls_orphaned_total", "Calls cancelled because their caller was gone.", st.OrphansCancelled)
	counter("objrmi_server_oneway_failed_total", "One-way calls whose method failed or panicked.", st.OneWayFailed)
	counter("objrmi_server_oneway_dropped_total", "One-way calls dropped for want of a slot.", st.OneWayDropped)
	if calls != nil {
		rows := calls.rows()
		for _, side := range []string{"client", "server"} {
			name := "rpc_" + side + "_call_duration_seconds"
			first := true
			for _, r := range rows {
				if r.Side != side {
					continue
				}
				if first {
					metric(bw, name, "histogram", "Duration of RPC calls, "+side+" side.")
					first = false
				}
				labels := `rpc_system_name="objrmi",rpc_method="` + escape(r.Interface+"/"+r.Method) +
					`",rpc_response_status_code="` + escape(r.Status) + `"`
				var cum uint64
				for i, n := range r.Buckets {
					cum += n
					le := "+Inf"
					if i < len(Buckets) {
						le = strconv.FormatFloat(Buckets[i], 'g', -1, 64)
					}
					bw.WriteString(name + "_bucket{" + labels + `,le="` + le + `"} ` + strconv.FormatUint(cum, 10) + "\n")
				}
				bw.WriteString(name + "_sum{" + labels + "} " + strconv.FormatFloat(r.Sum.Seconds(), 'g', -1, 64) + "\n")
				bw.WriteString(name + "_count{" + labels + "} " + strconv.FormatUint(cum, 10) + "\n")
			}
		}
	}
	return bw.Flush()
}

func metric(w *bufio.Writer, name, typ, help string) {
	w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

// escape escapes a label value as the text format wants.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

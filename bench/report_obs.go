package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// The observability block of the report: each objrmi variant against
// plain objrmi from the same run.

// metricsCPUTarget is issue 17's goal: OpenTelemetry metrics on cost at
// most 10 % more CPU per call (client and server together, W1).
const metricsCPUTarget = 1.10

// reportObservability prints W1 p50, W1 CPU per call and W2 calls/s of
// plain objrmi and of each variant that ran, with ratios to plain
// objrmi; judge adds the verdict on the metrics target.
func reportObservability(w io.Writer, syss []system, get func(sys, wl string) (result, bool), judge bool) {
	base1, ok1 := get(objrmiSystem.name, "W1")
	base2, ok2 := get(objrmiSystem.name, "W2")
	var rows []system
	for _, s := range syss {
		if s.workloads != nil && s.name != objrmiSystem.name {
			if _, ok := get(s.name, "W1"); ok {
				rows = append(rows, s)
			} else if _, ok := get(s.name, "W2"); ok {
				rows = append(rows, s)
			}
		}
	}
	if len(rows) == 0 || (!ok1 && !ok2) {
		return
	}
	fmt.Fprintln(w, "Observability: objrmi with hooks on both sides, against plain objrmi in the same run")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "system\tW1 p50 µs\tW1 CPU µs/call\tW2 calls/s\tW1 p50 vs objrmi\tW1 CPU vs objrmi\tW2 calls/s vs objrmi\t")
	cell := func(r result, ok bool, val func(result) float64, format string) string {
		if !ok {
			return "-"
		}
		return fmt.Sprintf(format, val(r))
	}
	ratio := func(r result, ok bool, base result, baseOK bool, val func(result) float64) string {
		if !ok || !baseOK || val(base) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f×", val(r)/val(base))
	}
	p50 := func(r result) float64 { return r.P50us }
	cps := func(r result) float64 { return r.CallsPerSec }
	for _, s := range append([]system{objrmiSystem}, rows...) {
		r1, h1 := get(s.name, "W1")
		r2, h2 := get(s.name, "W2")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.name,
			cell(r1, h1, p50, "%.1f"), cell(r1, h1, cpuPerCall, "%.2f"), cell(r2, h2, cps, "%.0f"),
			ratio(r1, h1, base1, ok1, p50), ratio(r1, h1, base1, ok1, cpuPerCall), ratio(r2, h2, base2, ok2, cps))
	}
	tw.Flush()
	if !judge {
		fmt.Fprintln(w)
		return
	}
	if r, ok := get(otelMetricsSystem.name, "W1"); ok && ok1 {
		x := cpuPerCall(r) / cpuPerCall(base1)
		fmt.Fprintf(w, "target: W1 CPU/call with OpenTelemetry metrics ≤ %.2f× objrmi: %.2f×, %s\n",
			metricsCPUTarget, x, verdict(x, metricsCPUTarget, true))
	}
	fmt.Fprintln(w)
}

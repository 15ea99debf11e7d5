package main

import (
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
)

// table is what report prints: the medians of a run, and what it knows
// of the systems that did not run.
type table struct {
	med     []result
	syss    []system
	wls     []workload
	pin     string
	quick   bool
	notes   map[string]string // a system's version, for the list of systems
	skipped map[string]string // why a system did not run
}

// report prints the systems, then one block per workload, then the
// issue's targets, each with what this run measured. A system that could
// not run has a line in every block saying why, so it is never silently
// missing. A quick run (CI's smoke test) is too short to judge a target,
// and its log must not read like a failure when it passes, so it names
// where the verdicts are instead.
func report(w io.Writer, t table) {
	get := func(sys, wl string) (result, bool) {
		for _, r := range t.med {
			if r.System == sys && r.Workload == wl {
				return r, true
			}
		}
		return result{}, false
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range t.syss {
		about := s.about
		if why, ok := t.skipped[s.name]; ok {
			about = why
		} else if note := t.notes[s.name]; note != "" {
			about += " (" + note + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", s.name, about)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, wl := range t.wls {
		where := "unpinned"
		if p := pinFor(wl, t.pin); p != "" {
			where = "client and server pinned to CPU " + p
		}
		fmt.Fprintf(w, "%s: %s (%s)\n", wl.name, wl.what, where)
		floorName := floorFor(wl)
		floor, haveFloor := get(floorName, wl.name)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "system\tcalls/s\tp50 µs\tp99 µs\tMB/s\tclient CPU µs/call\tserver CPU µs/call\tserver peak RSS MiB\tvs "+floorName+"\t")
		for _, s := range t.syss {
			r, ok := get(s.name, wl.name)
			if !ok {
				continue
			}
			mb := "-"
			if r.MBps > 0 {
				mb = fmt.Sprintf("%.0f", r.MBps)
			}
			vs := "-"
			if haveFloor {
				vs = ratioText(wl, r, floor)
			}
			fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%s\t%.2f\t%.2f\t%.1f\t%s\t\n",
				s.name, r.CallsPerSec, r.P50us, r.P99us, mb, r.ClientCPUus, r.ServerCPUus, r.ServerRSS, vs)
		}
		tw.Flush()
		for _, s := range t.syss {
			if why, ok := t.skipped[s.name]; ok {
				fmt.Fprintf(w, "%s: %s\n", s.name, why)
			}
		}
		fmt.Fprintln(w)
	}
	reportObservability(w, t.syss, get, !t.quick)
	if t.quick {
		fmt.Fprintln(w, "objrmi targets: not judged in a QUICK run, which is too short to measure them; a full run (make bench) judges them")
		return
	}
	targets(w, get)
}

// floorFor is the system a workload's ratios divide by: W2 shares one
// connection among its callers, as the pipelined floor does.
func floorFor(wl workload) string {
	if wl.callers > 1 {
		return pipelinedName
	}
	return floorName
}

func cpuPerCall(r result) float64 { return r.ClientCPUus + r.ServerCPUus }

// ratioText is a cell's distance from the floor: latency and CPU for
// W1, throughput for the rest.
func ratioText(wl workload, r, floor result) string {
	switch {
	case wl.name == "W1":
		return fmt.Sprintf("p50 %.2f×, CPU %.2f×", r.P50us/floor.P50us, cpuPerCall(r)/cpuPerCall(floor))
	case r.MBps > 0:
		return fmt.Sprintf("MB/s %.2f×", r.MBps/floor.MBps)
	default:
		return fmt.Sprintf("calls/s %.2f×", r.CallsPerSec/floor.CallsPerSec)
	}
}

// targets prints the targets for objrmi, each met or missed.
func targets(w io.Writer, get func(sys, wl string) (result, bool)) {
	o := func(wl string) (result, bool) { return get("objrmi", wl) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "objrmi target\tmeasured\tverdict")
	ratio := func(name, wl, floorSys string, want float64, atMost bool, val func(result) float64) {
		r, ok1 := o(wl)
		f, ok2 := get(floorSys, wl)
		if !ok1 || !ok2 {
			return
		}
		x := val(r) / val(f)
		fmt.Fprintf(tw, "%s\t%.2f×\t%s\t\n", name, x, verdict(x, want, atMost))
	}
	// Issue 18's budgets (round 2 of performance).
	ratio("W1 p50 ≤ 1.3× raw-tcp", "W1", floorName, 1.3, true, func(r result) float64 { return r.P50us })
	ratio("W2 calls/s ≥ 0.6× raw-tcp-pipelined", "W2", pipelinedName, 0.6, false, func(r result) float64 { return r.CallsPerSec })
	ratio("W3 256 KiB MB/s ≥ 0.9× raw-tcp", "W3-256KiB", floorName, 0.9, false, func(r result) float64 { return r.MBps })
	if r, ok := o("W1"); ok {
		if j, ok := get(javaSystem.name, "W1"); ok {
			x := cpuPerCall(r) / cpuPerCall(j)
			fmt.Fprintf(tw, "W1 CPU/call ≤ %s's\t%.2f×\t%s\t\n", javaSystem.name, x, verdict(x, 1, true))
		}
	}
	if r, ok := o("W2"); ok {
		fmt.Fprintf(tw, "W2 server peak RSS ≤ 20 MiB\t%.1f MiB\t%s\t\n", r.ServerRSS, verdict(r.ServerRSS, 20, true))
	}
	for _, peer := range []string{netrpcSystem.name, grpcSystem.name, drpcSystem.name, javaSystem.name} {
		for _, wl := range workloads {
			r, ok1 := o(wl.name)
			p, ok2 := get(peer, wl.name)
			if !ok1 || !ok2 {
				continue
			}
			// Ahead means more calls per second; for W1 also a lower p50.
			x := r.CallsPerSec / p.CallsPerSec
			what := "calls/s"
			if wl.name == "W1" {
				x, what = p.P50us/r.P50us, "p50 speed-up"
			}
			fmt.Fprintf(tw, "%s ahead of %s\t%s %.2f×\t%s\t\n", wl.name, peer, what, x, verdict(x, 1, false))
		}
	}
	tw.Flush()
}

func verdict(x, want float64, atMost bool) string {
	if (atMost && x <= want) || (!atMost && x >= want) {
		return "met"
	}
	if atMost {
		return fmt.Sprintf("MISSED by %.0f%%", (x/want-1)*100)
	}
	return fmt.Sprintf("MISSED by %.0f%%", (1-x/want)*100)
}

// memStats is what a server child answers to "stats".
func memStats(conns func() int) map[string]uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return map[string]uint64{"heap_inuse": m.HeapInuse, "stack_inuse": m.StackInuse,
		"sys": m.Sys, "goroutines": uint64(runtime.NumGoroutine()), "conns": uint64(conns())}
}

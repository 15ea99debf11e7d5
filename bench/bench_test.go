package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every system answers Add and Echo correctly, alone and with callers
// sharing its client, so the benchmark compares working systems.
func TestSystemsAnswerCorrectly(t *testing.T) {
	for _, sys := range systems {
		if sys.ext != nil {
			continue // its own test: TestJavaRMIRunsEveryWorkload
		}
		t.Run(sys.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			addr, stop, err := sys.serve()
			require.NoError(t, err)
			defer stop()
			const callers = 8
			cl, err := sys.dial(ctx, addr, callers)
			require.NoError(t, err)
			defer cl.Close()

			big := bytes.Repeat([]byte("0123456789abcdef"), 256<<10/16)
			var wg sync.WaitGroup
			for i := range callers {
				c := cl.Caller(i)
				wg.Go(func() {
					for k := range int64(50) {
						sum, err := c.Add(ctx, int64(i), k)
						if !assert.NoError(t, err) || !assert.Equal(t, int64(i)+k, sum) {
							return
						}
					}
					for _, p := range [][]byte{[]byte("hello"), big} {
						got, err := c.Echo(ctx, p)
						if !assert.NoError(t, err) || !assert.True(t, bytes.Equal(p, got), "echo of %d bytes", len(p)) {
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// The medians are taken field by field, and ratios divide by the right
// floor.
func TestMediansAndRatios(t *testing.T) {
	rs := []result{
		{System: "objrmi", Workload: "W1", P50us: 30, ClientCPUus: 10, ServerCPUus: 10},
		{System: "objrmi", Workload: "W1", P50us: 10, ClientCPUus: 30, ServerCPUus: 30},
		{System: "objrmi", Workload: "W1", P50us: 20, ClientCPUus: 20, ServerCPUus: 20},
		{System: floorName, Workload: "W1", P50us: 10, ClientCPUus: 10, ServerCPUus: 10},
	}
	med := medians(rs)
	require.Len(t, med, 2)
	assert.Equal(t, 20.0, med[0].P50us)
	assert.Equal(t, 20.0, med[0].ClientCPUus)
	assert.Equal(t, "p50 2.00×, CPU 2.00×", ratioText(workloads[0], med[0], med[1]))
	assert.Equal(t, pipelinedName, floorFor(workloads[1]), "W2 divides by the pipelined floor")
	assert.Equal(t, "met", verdict(1.1, 1.15, true))
	assert.Equal(t, "MISSED by 50%", verdict(0.375, 0.75, false))
}

// A full run judges objrmi's targets; a QUICK run, CI's smoke test, prints
// no verdict, so a passing CI log never reads "MISSED".
func TestQuickReportJudgesNoTargets(t *testing.T) {
	med := []result{ // objrmi far behind the floor: every target missed
		{System: "objrmi", Workload: "W1", P50us: 100, ClientCPUus: 50, ServerCPUus: 50, CallsPerSec: 10_000},
		{System: floorName, Workload: "W1", P50us: 10, ClientCPUus: 5, ServerCPUus: 5, CallsPerSec: 100_000},
	}
	var full, quick bytes.Buffer
	report(&full, table{med: med, syss: systems, wls: workloads[:1]})
	report(&quick, table{med: med, syss: systems, wls: workloads[:1], quick: true})

	assert.Contains(t, full.String(), "W1 p50 ≤ 1.3× raw-tcp")
	assert.Contains(t, full.String(), "MISSED by")
	assert.Contains(t, quick.String(), "p50 10.00×", "the measurements are still printed")
	assert.NotContains(t, quick.String(), "MISSED")
	assert.NotContains(t, quick.String(), "verdict")
	assert.Contains(t, quick.String(), "not judged in a QUICK run")
}

// `make bench` and `make scale` write their JSON lines into bench/ by
// default; git must ignore both files, so a run leaves no untracked file.
func TestDefaultOutputsAreIgnoredByGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	if err := exec.Command("git", "rev-parse", "--is-inside-work-tree").Run(); err != nil {
		t.Skip("not in a git work tree")
	}
	for _, f := range []string{resultsFile, scaleFile} {
		out, err := exec.Command("git", "check-ignore", "--no-index", "-v", f).CombinedOutput()
		assert.NoError(t, err, "bench/%s is not ignored by git: add it to .gitignore (%s)", f, out)
	}
}

// The observability block divides each variant by plain objrmi of the
// same run, and a full run judges the metrics target; the variants run
// only W1 and W2.
func TestObservabilityReport(t *testing.T) {
	med := []result{
		{System: "objrmi", Workload: "W1", P50us: 50, ClientCPUus: 20, ServerCPUus: 20},
		{System: "objrmi", Workload: "W2", CallsPerSec: 100_000},
		{System: otelMetricsSystem.name, Workload: "W1", P50us: 55, ClientCPUus: 23, ServerCPUus: 23},
		{System: otelMetricsSystem.name, Workload: "W2", CallsPerSec: 90_000},
		{System: interceptSystem.name, Workload: "W1", P50us: 50, ClientCPUus: 20, ServerCPUus: 21},
	}
	var full, quick bytes.Buffer
	report(&full, table{med: med, syss: systems, wls: workloads[:2]})
	report(&quick, table{med: med, syss: systems, wls: workloads[:2], quick: true})
	assert.Regexp(t, `objrmi\+otel-metrics +55\.0 +46\.00 +90000 +1\.10× +1\.15× +0\.90×`, full.String())
	assert.Regexp(t, `objrmi\+intercept +50\.0 +41\.00 +- +1\.00× +1\.02× +-`, full.String())
	assert.Contains(t, full.String(), "W1 CPU/call with OpenTelemetry metrics ≤ 1.10× objrmi: 1.15×, MISSED by 5%")
	_, block, _ := strings.Cut(full.String(), "Observability:")
	assert.NotContains(t, block, "objrmi+otel-traces", "a variant that did not run has no row")
	assert.Contains(t, quick.String(), "objrmi+otel-metrics", "a QUICK run prints the block")
	assert.NotContains(t, quick.String(), "MISSED")

	for _, s := range obsSystems {
		assert.True(t, s.runs(workloads[0]) && s.runs(workloads[1]), s.name)
		assert.False(t, s.runs(workloads[2]), s.name)
	}
	assert.True(t, objrmiSystem.runs(workloads[3]))
}

package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinySizes keep a test of every workload to a few seconds, JVM start-up
// included.
var tinySizes = sizes{addWarm: 20, addN: 200, w2Warm: 100 * time.Millisecond, w2Run: 300 * time.Millisecond,
	smallWarm: 20, smallN: 200, largeWarm: 2, largeN: 10, rounds: 1, jitWarm: 50 * time.Millisecond}

// prepareJavaOrSkip compiles the Java sources, or skips the test on a
// machine without a JDK.
func prepareJavaOrSkip(t *testing.T) prepared {
	t.Helper()
	p, err := prepareJava(t.TempDir())
	require.NoError(t, err)
	if p.skip != "" {
		t.Skip(p.skip)
	}
	for _, kv := range p.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return p
}

// The Java RMI server and client run every workload as bench runs them:
// the server program prints its address, the client looks Bench up in
// its registry, checks every reply, and the Go side reads both JVMs' CPU
// clocks at START and STOP and computes the result from the client's
// latencies.
func TestJavaRMIRunsEveryWorkload(t *testing.T) {
	p := prepareJavaOrSkip(t)
	assert.Contains(t, p.note, "version", "the JDK's version, for the table")
	srv, err := startProgram("", p.env, javaSystem.ext.server())
	require.NoError(t, err)
	t.Cleanup(func() { srv.stop() })
	addr := readLineWithin(t, srv, "ADDR", time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, w := range workloads {
		t.Run(w.name, func(t *testing.T) {
			r, err := runJava(ctx, addr, w, tinySizes, &meter{server: srv.pid()})
			require.NoError(t, err)
			switch w.callers {
			case 1:
				want := tinySizes.addN
				if w.size > 64<<10 {
					want = tinySizes.largeN
				} else if w.size > 0 {
					want = tinySizes.smallN
				}
				assert.Equal(t, want, r.Calls)
			default:
				assert.Greater(t, r.Calls, 0)
			}
			assert.Greater(t, r.P50us, 0.0)
			assert.GreaterOrEqual(t, r.P99us, r.P50us)
			assert.Greater(t, r.ClientCPUus, 0.0, "the client JVM's CPU clock")
			assert.Greater(t, r.ServerCPUus, 0.0, "the server JVM's CPU clock")
			assert.Equal(t, w.size > 0, r.MBps > 0, "MB/s for Echo only")
		})
	}
}

// A Java client that fails (here: nothing listens at its address) fails
// its cell with an error, without hanging.
func TestJavaRMIClientFailureIsAnError(t *testing.T) {
	prepareJavaOrSkip(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = runJava(ctx, addr, workloads[0], tinySizes, &meter{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "java client")
}

// Without a JDK, Java RMI does not run, and the table says why in every
// workload's block and in the list of systems, rather than dropping the
// row.
func TestJavaSkippedWithoutJDK(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no javac, no java
	runnable, env, _, skipped, err := prepareSystems(systems, t.TempDir())
	require.NoError(t, err)
	assert.Empty(t, env)
	assert.Len(t, runnable, len(systems)-1)
	for _, s := range runnable {
		assert.NotEqual(t, javaSystem.name, s.name)
	}
	require.Contains(t, skipped, javaSystem.name)
	assert.True(t, strings.HasPrefix(skipped[javaSystem.name], "skipped, no JDK: install openjdk-17-jdk-headless"), skipped[javaSystem.name])

	med := []result{{System: floorName, Workload: "W1", P50us: 10, ClientCPUus: 5, ServerCPUus: 5, CallsPerSec: 100_000}}
	var out bytes.Buffer
	report(&out, table{med: med, syss: systems, wls: workloads[:2], quick: true, skipped: skipped})
	for line := range strings.Lines(out.String()) {
		if strings.Contains(line, javaSkip) {
			assert.Contains(t, line, javaSystem.name)
		}
	}
	assert.Equal(t, 3, strings.Count(out.String(), javaSkip),
		"once in the list of systems, once per workload:\n%s", out.String())
}

// readLineWithin is readLine from a child, failing the test after d.
func readLineWithin(t *testing.T, c *child, prefix string, d time.Duration) string {
	t.Helper()
	type line struct {
		s   string
		err error
	}
	got := make(chan line, 1)
	go func() {
		s, err := readLine(c.out, prefix)
		got <- line{s, err}
	}()
	select {
	case l := <-got:
		require.NoError(t, l.err)
		return l.s
	case <-time.After(d):
		c.cmd.Process.Kill()
		<-got
		t.Fatalf("no %s line from %v within %s", prefix, c.cmd.Args, d)
		return ""
	}
}

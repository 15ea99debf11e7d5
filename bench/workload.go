package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// sizes says how long each workload runs: the numbers, or QUICK's.
type sizes struct {
	addWarm, addN     int           // W1
	w2Warm, w2Run     time.Duration // W2
	smallWarm, smallN int           // W3, 1 KiB
	largeWarm, largeN int           // W3, 256 KiB
	rounds            int
	// jitWarm is the least warm-up of a system whose code a JIT compiles
	// while it runs (Java RMI's JVMs), on top of the workload's own.
	jitWarm time.Duration
}

var (
	fullSizes  = sizes{addWarm: 2000, addN: 20000, w2Warm: time.Second, w2Run: 5 * time.Second, smallWarm: 2000, smallN: 20000, largeWarm: 50, largeN: 1000, rounds: 5, jitWarm: 3 * time.Second}
	quickSizes = sizes{addWarm: 200, addN: 2000, w2Warm: 200 * time.Millisecond, w2Run: time.Second, smallWarm: 200, smallN: 2000, largeWarm: 5, largeN: 100, rounds: 1, jitWarm: 300 * time.Millisecond}
)

// workload is one column of the table.
type workload struct {
	name    string
	what    string
	pinned  bool // client and server share one CPU (taskset)
	callers int
	size    int // bytes echoed; 0 for Add
	run     func(ctx context.Context, cl client, sz sizes, m *meter) (result, error)
}

const w2Callers = 64

var workloads = []workload{
	{name: "W1", what: "sequential Add", pinned: true, callers: 1, run: runAdd},
	{name: "W2", what: fmt.Sprintf("%d goroutines, Add, one client", w2Callers), pinned: false, callers: w2Callers, run: runConcurrent},
	{name: "W3-1KiB", what: "sequential Echo, 1 KiB", pinned: true, callers: 1, size: 1 << 10, run: runEcho(1 << 10)},
	{name: "W3-256KiB", what: "sequential Echo, 256 KiB", pinned: true, callers: 1, size: 256 << 10, run: runEcho(256 << 10)},
}

func workloadNamed(name string) (workload, error) {
	for _, w := range workloads {
		if w.name == name {
			return w, nil
		}
	}
	return workload{}, fmt.Errorf("no workload %q", name)
}

// result is one cell of one round: a JSON line.
type result struct {
	Round       int     `json:"round"`
	System      string  `json:"system"`
	Workload    string  `json:"workload"`
	Pinned      bool    `json:"pinned"`
	Calls       int     `json:"calls"`
	Seconds     float64 `json:"seconds"`
	CallsPerSec float64 `json:"calls_per_s"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	MBps        float64 `json:"mb_per_s,omitempty"`
	ClientCPUus float64 `json:"client_cpu_us_per_call"`
	ServerCPUus float64 `json:"server_cpu_us_per_call"`
	ServerRSS   float64 `json:"server_peak_rss_mib"`
	// Skipped, on a line of its own, says why a system did not run.
	Skipped string `json:"skipped,omitempty"`
}

// meter takes both processes' CPU clocks and the wall clock around the
// measured part of a workload.
type meter struct {
	server     int // pid
	client     int // pid; 0 for this process
	t0, t1     time.Time
	cli0, srv0 time.Duration
	cli1, srv1 time.Duration
}

// read takes the three clocks.
func (m *meter) read(t *time.Time, cli, srv *time.Duration) error {
	var err error
	client := m.client
	if client == 0 {
		client = os.Getpid()
	}
	if *cli, err = cpuTime(client); err != nil {
		return err
	}
	if *srv, err = cpuTime(m.server); err != nil {
		return err
	}
	*t = time.Now()
	return nil
}

func (m *meter) start() error { return m.read(&m.t0, &m.cli0, &m.srv0) }
func (m *meter) stop() error  { return m.read(&m.t1, &m.cli1, &m.srv1) }

// fill gives r the rates of calls made between start and stop, and the
// percentiles of lats, which it sorts.
func (m *meter) fill(r *result, calls int, lats []time.Duration) {
	wall := m.t1.Sub(m.t0)
	r.Calls, r.Seconds = calls, wall.Seconds()
	r.CallsPerSec = float64(calls) / wall.Seconds()
	r.ClientCPUus = us(m.cli1-m.cli0) / float64(calls)
	r.ServerCPUus = us(m.srv1-m.srv0) / float64(calls)
	slices.Sort(lats)
	r.P50us = us(lats[len(lats)/2])
	r.P99us = us(lats[len(lats)*99/100])
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func addOnce(ctx context.Context, c caller, a int64) error {
	sum, err := c.Add(ctx, a, 1)
	if err == nil && sum != a+1 {
		err = fmt.Errorf("Add(%d, 1) = %d", a, sum)
	}
	return err
}

// runAdd is W1: one caller, Add after Add.
func runAdd(ctx context.Context, cl client, sz sizes, m *meter) (result, error) {
	c := cl.Caller(0)
	for i := range sz.addWarm {
		if err := addOnce(ctx, c, int64(i)); err != nil {
			return result{}, err
		}
	}
	lats := make([]time.Duration, sz.addN)
	if err := m.start(); err != nil {
		return result{}, err
	}
	for i := range lats {
		t := time.Now()
		if err := addOnce(ctx, c, int64(i)); err != nil {
			return result{}, err
		}
		lats[i] = time.Since(t)
	}
	if err := m.stop(); err != nil {
		return result{}, err
	}
	var r result
	m.fill(&r, len(lats), lats)
	return r, nil
}

// runConcurrent is W2: w2Callers goroutines sharing one client, for a
// fixed time after a warm-up. Calls that end inside the window count.
func runConcurrent(ctx context.Context, cl client, sz sizes, m *meter) (result, error) {
	var measuring, stop atomic.Bool
	lats := make([][]time.Duration, w2Callers)
	errs := make([]error, w2Callers)
	var wg sync.WaitGroup
	for i := range w2Callers {
		c := cl.Caller(i)
		lats[i] = make([]time.Duration, 0, 1<<16)
		wg.Go(func() {
			for n := int64(0); !stop.Load(); n++ {
				t := time.Now()
				if err := addOnce(ctx, c, n); err != nil {
					errs[i] = err
					stop.Store(true)
					return
				}
				if measuring.Load() {
					lats[i] = append(lats[i], time.Since(t))
				}
			}
		})
	}
	time.Sleep(sz.w2Warm)
	errStart := m.start()
	measuring.Store(true)
	time.Sleep(sz.w2Run)
	measuring.Store(false)
	errStop := m.stop()
	stop.Store(true)
	wg.Wait()
	if err := errors.Join(append(errs, errStart, errStop)...); err != nil {
		return result{}, err
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return result{}, errors.New("no call finished in the measured window")
	}
	var r result
	m.fill(&r, len(all), all)
	return r, nil
}

// runEcho is W3: one caller echoing size bytes after size bytes.
func runEcho(size int) func(context.Context, client, sizes, *meter) (result, error) {
	return func(ctx context.Context, cl client, sz sizes, m *meter) (result, error) {
		warm, n := sz.smallWarm, sz.smallN
		if size > 64<<10 {
			warm, n = sz.largeWarm, sz.largeN
		}
		c := cl.Caller(0)
		p := make([]byte, size)
		for i := range p {
			p[i] = byte(rand.Uint32())
		}
		echo := func() error {
			r, err := c.Echo(ctx, p)
			if err == nil && (len(r) != size || r[0] != p[0] || r[size-1] != p[size-1]) {
				err = fmt.Errorf("Echo of %d bytes returned %d different bytes", size, len(r))
			}
			return err
		}
		// One full comparison, so a system that mangles payloads cannot
		// pass on its ends alone.
		if r, err := c.Echo(ctx, p); err != nil || !bytes.Equal(r, p) {
			return result{}, fmt.Errorf("Echo of %d bytes: wrong reply (err %v)", size, err)
		}
		for range warm {
			if err := echo(); err != nil {
				return result{}, err
			}
		}
		lats := make([]time.Duration, n)
		if err := m.start(); err != nil {
			return result{}, err
		}
		for i := range lats {
			t := time.Now()
			if err := echo(); err != nil {
				return result{}, err
			}
			lats[i] = time.Since(t)
		}
		if err := m.stop(); err != nil {
			return result{}, err
		}
		var r result
		m.fill(&r, n, lats)
		r.MBps = float64(2*size*n) / r.Seconds / 1e6
		return r, nil
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/objrmi/objrmi/bench/svc"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// scaleResult is the scale run's JSON line.
type scaleResult struct {
	Runtimes         int     `json:"runtimes"`
	Processes        int     `json:"client_processes"`
	RSSBaseMiB       float64 `json:"server_rss_before_mib"`
	RSSIdleMiB       float64 `json:"server_rss_idle_mib"`
	RSSPerConnKiB    float64 `json:"server_rss_per_idle_conn_kib"`
	HeapPerConnKiB   float64 `json:"server_heap_per_idle_conn_kib"`
	GoroutinesPerCon float64 `json:"server_goroutines_per_idle_conn"`
	Conns            int     `json:"server_conns"`
	Seconds          float64 `json:"seconds"`
	CallsPerSec      float64 `json:"calls_per_s"`
	ServerCPUus      float64 `json:"server_cpu_us_per_call"`
	ServerPeakMiB    float64 `json:"server_peak_rss_mib"`
	Killed           int     `json:"killed_runtimes"`
	SurvivorCalls    int64   `json:"survivor_calls"`
	SurvivorFailed   int64   `json:"survivor_failed_calls"`
	GoneSeconds      float64 `json:"dead_half_unreferenced_s"`
	TotalSeconds     float64 `json:"total_s"`
}

// scale connects many client runtimes, spread over a few processes, to
// one objrmi server: first idle, to weigh a connection, then all calling
// at once; then, while the survivors go on calling, it kill -9s half of
// the processes, and times how long the server takes to drop the dead
// half's leases (each client runtime holds a counted reference to the
// server's object: with no listener, a holder that stays disconnected
// for HolderGrace, 10 s, is dropped before its lease, 30 s, lapses).
func scale(args []string) error {
	began := time.Now()
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	n, procs, secs := 10000, 8, 5.0
	if os.Getenv("QUICK") == "1" {
		n, procs, secs = 100, 2, 1
	}
	runtimes := fs.Int("runtimes", n, "client runtimes in all")
	nproc := fs.Int("procs", procs, "client processes they are spread over")
	seconds := fs.Float64("seconds", secs, "how long every runtime calls")
	out := fs.String("json", scaleFile, "file for the JSON line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv, err := startChild("", nil, "serve", "-system", objrmiSystem.name)
	if err != nil {
		return err
	}
	defer srv.stop()
	addr, err := readLine(srv.out, "ADDR")
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	before, err := serverStats(srv)
	if err != nil {
		return err
	}
	res := scaleResult{Runtimes: *runtimes, Processes: *nproc, RSSBaseMiB: mib(before.rss)}

	var clients []*child
	defer func() {
		for _, c := range clients {
			c.stop()
		}
	}()
	for i := range *nproc {
		share := *runtimes / *nproc
		if i < *runtimes%*nproc {
			share++
		}
		c, err := startChild("", nil, "scale-client", "-addr", addr, "-n", strconv.Itoa(share), "-proc", strconv.Itoa(i))
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	for _, c := range clients {
		if _, err := readLine(c.out, "READY"); err != nil {
			return fmt.Errorf("scale client: %w", err)
		}
	}
	time.Sleep(time.Second) // let the handshakes' garbage go
	idle, err := serverStats(srv)
	if err != nil {
		return err
	}
	res.RSSIdleMiB = mib(idle.rss)
	res.RSSPerConnKiB = float64(idle.rss-before.rss) / float64(*runtimes)
	res.HeapPerConnKiB = float64(int64(idle.mem["heap_inuse"]+idle.mem["stack_inuse"])-
		int64(before.mem["heap_inuse"]+before.mem["stack_inuse"])) / 1024 / float64(*runtimes)
	res.GoroutinesPerCon = float64(int64(idle.mem["goroutines"])-int64(before.mem["goroutines"])) / float64(*runtimes)

	cpu0, err := cpuTime(srv.pid())
	if err != nil {
		return err
	}
	t0 := time.Now()
	for _, c := range clients {
		fmt.Fprintf(c.stdin, "go %g\n", *seconds)
	}
	var calls int64
	for _, c := range clients {
		line, err := readLine(c.out, "DONE")
		if err != nil {
			return fmt.Errorf("scale client: %w", err)
		}
		k, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			return err
		}
		calls += k
	}
	wall := time.Since(t0)
	cpu1, err := cpuTime(srv.pid())
	if err != nil {
		return err
	}
	res.Seconds = wall.Seconds()
	res.CallsPerSec = float64(calls) / *seconds
	res.ServerCPUus = us(cpu1-cpu0) / float64(calls)
	res.Conns = idle.conns
	hwm, err := memKiB(srv.pid(), "VmHWM")
	if err != nil {
		return err
	}
	res.ServerPeakMiB = mib(hwm)
	if err := killHalf(srv, clients, *runtimes, *seconds, &res); err != nil {
		return err
	}
	res.TotalSeconds = time.Since(began).Seconds()

	fmt.Printf("scale: %d client runtimes in %d processes, one objrmi server, loopback\n", res.Runtimes, res.Processes)
	fmt.Printf("  idle:  server RSS %.1f MiB -> %.1f MiB with %d connections: %.1f KiB RSS, %.1f KiB Go heap+stacks, %.1f goroutines per connection\n",
		res.RSSBaseMiB, res.RSSIdleMiB, res.Conns, res.RSSPerConnKiB, res.HeapPerConnKiB, res.GoroutinesPerCon)
	fmt.Printf("  busy:  every runtime calling Add in a loop for %gs: %.0f calls/s, server CPU %.2f µs/call, server peak RSS %.1f MiB\n",
		*seconds, res.CallsPerSec, res.ServerCPUus, res.ServerPeakMiB)
	fmt.Printf("  kill:  kill -9 of %d runtimes (half the processes) while the rest call: survivors' calls %d, failed %d; "+
		"the dead half's leases gone after %.1f s (HolderGrace 10 s + check interval 1 s; Lease 30 s bounds it)\n",
		res.Killed, res.SurvivorCalls, res.SurvivorFailed, res.GoneSeconds)
	fmt.Printf("  whole run: %.0f s\n", res.TotalSeconds)
	jf, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer jf.Close()
	return json.NewEncoder(jf).Encode(res)
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

type stats struct {
	rss   int64 // KiB
	mem   map[string]uint64
	conns int
}

// serverStats asks a server child for its Go statistics and reads its
// resident set.
func serverStats(srv *child) (stats, error) {
	var s stats
	if _, err := fmt.Fprintln(srv.stdin, "stats"); err != nil {
		return s, err
	}
	line, err := srv.out.ReadBytes('\n')
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(line, &s.mem); err != nil {
		return s, err
	}
	s.conns = int(s.mem["conns"])
	s.rss, err = memKiB(srv.pid(), "VmRSS")
	return s, err
}

// scaleClientsPerHost is how many client runtimes of the scale run share
// one source address.
const scaleClientsPerHost = 128

// scaleClient is one process of the scale run: n runtimes, each with a
// counted reference to the server's object, idle until told to call.
func scaleClient(args []string) error {
	fs := flag.NewFlagSet("scale-client", flag.ContinueOnError)
	addr := fs.String("addr", "", "server address")
	n := fs.Int("n", 250, "runtimes in this process")
	proc := fs.Int("proc", 0, "this process's index, which picks its source addresses")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stubs := make([]svc.Bench, 0, *n)
	for j := range *n {
		// Client runtimes dial from several loopback addresses
		// (127.1.proc.k, all local on Linux), as clients on several hosts
		// would, so that the server's MaxConnsPerHost (256) holds.
		src := net.IPv4(127, 1, byte(*proc), byte(1+j/scaleClientsPerHost))
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
		rt, err := remote.NewRuntime(remote.Options{Dial: d.DialContext})
		if err != nil {
			return err
		}
		defer rt.Close()
		b, err := registry.Lookup[svc.Bench](ctx, rt, "objrmi://"+*addr+"/bench")
		if err != nil {
			return err
		}
		defer remote.Release(b)
		if err := addOnce(ctx, b, 1); err != nil {
			return err
		}
		stubs = append(stubs, b)
	}
	fmt.Println("READY")
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() {
		return errors.New("no go line")
	}
	secs, err := strconv.ParseFloat(strings.TrimPrefix(in.Text(), "go "), 64)
	if err != nil {
		return err
	}
	var calls atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(stubs))
	end := time.Now().Add(time.Duration(secs * float64(time.Second)))
	for i, b := range stubs {
		wg.Go(func() {
			var k int64
			for ; time.Now().Before(end); k++ {
				if err := addOnce(ctx, b, k); err != nil {
					errs[i] = err
					break
				}
			}
			calls.Add(k)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Printf("DONE %d\n", calls.Load())
	// A survivor of the kill: it calls until told to stop, counting the
	// calls that fail rather than stopping at the first.
	if !in.Scan() || in.Text() != "survive" {
		for in.Scan() { // until the parent closes stdin
		}
		return nil
	}
	var stop atomic.Bool
	var failed atomic.Int64
	var firstErr atomic.Value
	calls.Store(0)
	for _, b := range stubs {
		wg.Go(func() {
			var k int64
			for ; !stop.Load(); k++ {
				if err := addOnce(ctx, b, k); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
			calls.Add(k)
		})
	}
	in.Scan() // "stop", or stdin closed
	stop.Store(true)
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(os.Stderr, "scale client %d: first failed call: %s\n", *proc, e)
	}
	fmt.Printf("SURVIVED %d %d\n", calls.Load(), failed.Load())
	for in.Scan() {
	}
	return nil
}

// killHalf has the second half of the client processes call on, kill
// -9s the first half, and waits until the server holds leases for the
// survivors' runtimes alone.
func killHalf(srv *child, clients []*child, runtimes int, seconds float64, res *scaleResult) error {
	half := len(clients) / 2
	if half == 0 {
		return nil
	}
	perProc := func(i int) int {
		share := runtimes / len(clients)
		if i < runtimes%len(clients) {
			share++
		}
		return share
	}
	for _, c := range clients[half:] {
		fmt.Fprintln(c.stdin, "survive")
	}
	time.Sleep(time.Second) // the survivors are calling
	killedAt := time.Now()
	for i, c := range clients[:half] {
		if err := c.cmd.Process.Kill(); err != nil {
			return err
		}
		c.cmd.Wait()
		res.Killed += perProc(i)
	}
	survivors := runtimes - res.Killed
	deadline := killedAt.Add(3 * time.Minute)
	for {
		if _, err := fmt.Fprintln(srv.stdin, "holders"); err != nil {
			return err
		}
		line, err := readLine(srv.out, "HOLDERS")
		if err != nil {
			return err
		}
		held, err := strconv.Atoi(line)
		if err != nil {
			return err
		}
		if held <= survivors {
			res.GoneSeconds = time.Since(killedAt).Seconds()
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("scale: %d runtimes still hold leases 3 minutes after the kill; want %d", held, survivors)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Duration(seconds * float64(time.Second) / 5)) // calls after the drop, too
	for _, c := range clients[half:] {
		fmt.Fprintln(c.stdin, "stop")
	}
	for _, c := range clients[half:] {
		line, err := readLine(c.out, "SURVIVED")
		if err != nil {
			return fmt.Errorf("scale client: %w", err)
		}
		var calls, failed int64
		if _, err := fmt.Sscan(line, &calls, &failed); err != nil {
			return err
		}
		res.SurvivorCalls += calls
		res.SurvivorFailed += failed
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
)

// caller makes the benchmark's two calls. Each system adapts its client
// to it; the workloads see nothing else.
type caller interface {
	Add(ctx context.Context, a, b int64) (int64, error)
	Echo(ctx context.Context, p []byte) ([]byte, error)
}

// client is one system's client, dialled once per cell.
type client interface {
	// Caller is what goroutine i of the cell's callers calls through: one
	// shared stub for the RPC systems, a connection of its own for raw
	// TCP.
	Caller(i int) caller
	Close() error
}

// system is one contender: how its server process serves and how the
// client process dials it.
type system struct {
	name  string
	about string
	// serve starts serving on loopback and returns the address to dial.
	serve func() (addr string, stop func(), err error)
	// dial connects a client for callers goroutines.
	dial func(ctx context.Context, addr string, callers int) (client, error)
	// ext, for a system written in another language, replaces serve and
	// dial.
	ext *external
	// workloads, if set, are the only workloads the system runs.
	workloads []string
}

// runs says whether the system runs workload w.
func (s system) runs(w workload) bool {
	return s.workloads == nil || slices.Contains(s.workloads, w.name)
}

// external is a system whose server and client are other programs than
// this one (Java RMI's run in JVMs). Its server is still a child of the
// bench program, and its client a child of the Go client child, which
// meters it.
type external struct {
	// prepare readies the system once per run, in dir, a temporary
	// directory the run removes afterwards. It says why the system cannot
	// run on this machine in skip, which is not an error: the table says
	// so.
	prepare func(dir string) (prepared, error)
	// server is the server program's command line, run in the parent
	// after prepare. It prints "ADDR host:port" and exits when its stdin
	// closes.
	server func() []string
	// run runs workload w against the server at addr, from the client
	// child, and meters it with m.
	run func(ctx context.Context, addr string, w workload, sz sizes, m *meter) (result, error)
}

// prepared is what an external system's prepare found.
type prepared struct {
	env  []string // for every child process
	note string   // for the table's list of systems: a version
	skip string   // why the system cannot run here; "" if it can
}

// Names of the floor systems, which the ratios divide by.
const (
	floorName     = "raw-tcp"
	pipelinedName = "raw-tcp-pipelined"
)

// systems are every contender, then objrmi's observability variants.
var systems = append([]system{objrmiSystem, rawSystem, rawPipelinedSystem, netrpcSystem, grpcSystem, drpcSystem, javaSystem}, obsSystems...)

func systemNamed(name string) (system, error) {
	for _, s := range systems {
		if s.name == name {
			return s, nil
		}
	}
	return system{}, fmt.Errorf("no system %q", name)
}

// listenLoopback is the listener of every server but objrmi's, which
// opens its own.
func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// serveLoopback accepts connections on loopback and serves each with
// handle on its own goroutine; stop closes the listener and every
// connection and waits for the goroutines.
func serveLoopback(handle func(net.Conn)) (addr string, stop func(), err error) {
	ln, err := listenLoopback()
	if err != nil {
		return "", nil, err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[nc] = true
			mu.Unlock()
			wg.Go(func() { handle(nc) })
		}
	})
	return ln.Addr().String(), func() {
		ln.Close()
		mu.Lock()
		for nc := range conns {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	}, nil
}

// shared is a client whose callers all share one handle.
type shared struct {
	caller
	close func() error
}

func (s shared) Caller(int) caller { return s.caller }
func (s shared) Close() error      { return s.close() }

// pick turns a comma-separated list of names into what named finds for
// each; an empty list means all.
func pick[T any](list string, all []T, named func(string) (T, error)) ([]T, error) {
	if list == "" {
		return all, nil
	}
	var out []T
	for _, name := range strings.Split(list, ",") {
		v, err := named(name)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

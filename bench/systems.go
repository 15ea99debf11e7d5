package main

import (
	"context"
	"fmt"
	"net"
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
}

// Names of the floor systems, which the ratios divide by.
const (
	floorName     = "raw-tcp"
	pipelinedName = "raw-tcp-pipelined"
)

var systems = []system{objrmiSystem, rawSystem, rawPipelinedSystem, netrpcSystem, grpcSystem}

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

// shared is a client whose callers all share one handle.
type shared struct {
	caller
	close func() error
}

func (s shared) Caller(int) caller { return s.caller }
func (s shared) Close() error      { return s.close() }

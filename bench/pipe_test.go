package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/rpc"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"storj.io/drpc"
	"storj.io/drpc/drpcconn"

	"github.com/objrmi/objrmi/bench/svc"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// The in-process benchmark: client and server of each system in this
// process, joined by net.Pipe, so no kernel is on the call path and what
// is measured is each system's own user-space cost per round trip, on
// any machine. It has the shape of drpc's README table (internal/
// grpccompat/benchmark_test.go in storj/drpc: net.Pipe, unitary calls of
// a small, a 2 KiB and a 1 MiB message, -benchmem), so its time and
// allocations per op compare with that table's:
//
//	cd bench && go test -run '^$' -bench Pipe -benchmem   # or: make bench-pipe
//
// Allocations count client and server together, as drpc's do. objrmi
// runs with what a real call has: a registry lookup, so the stub holds
// a counted reference with a lease, a context, and the method's hash.

// pipeSystem is one system over net.Pipe.
type pipeSystem struct {
	name string
	// start serves svc.Impl and returns a caller connected to it; tb's
	// cleanups stop both ends and wait for their goroutines.
	start func(tb testing.TB) caller
}

var pipeSystems = []pipeSystem{
	{name: "objrmi", start: pipeObjrmi},
	{name: "drpc", start: pipeDRPC(drpcDesc{}, drpcMsgpack{})},
	{name: "drpc-proto", start: pipeDRPC(drpcProtoDesc{}, drpcProto{})},
	{name: "grpc-go", start: pipeGRPC},
	{name: "net-rpc", start: pipeNetRPC},
}

// pipeObjrmi serves Bench through Runtime.ServeConn: the client
// runtime's Dial opens a new pipe to the server whatever the address.
// The server listens on loopback only so that its references carry an
// endpoint, which the registry requires of what it binds; no connection
// reaches that listener.
func pipeObjrmi(tb testing.TB) caller {
	srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	require.NoError(tb, err)
	tb.Cleanup(func() { srv.Close() })
	reg, err := registry.Serve(srv, registry.Options{})
	require.NoError(tb, err)
	tb.Cleanup(func() { reg.Close() })
	ref, err := remote.Export[svc.Bench](srv, svc.Impl{})
	require.NoError(tb, err)
	require.NoError(tb, reg.Bind(context.Background(), "bench", ref))

	dial := func(context.Context, string, string) (net.Conn, error) {
		a, b := net.Pipe()
		if err := srv.ServeConn(a); err != nil {
			b.Close()
			return nil, err
		}
		return b, nil
	}
	cli, err := remote.NewRuntime(remote.Options{Dial: dial})
	require.NoError(tb, err)
	tb.Cleanup(func() { cli.Close() })
	b, err := registry.Lookup[svc.Bench](context.Background(), cli, "objrmi://"+srv.Endpoint()+"/bench")
	require.NoError(tb, err)
	tb.Cleanup(func() { remote.Release(b) })
	return b
}

// pipeDRPC serves one pipe with drpc's ServeOne, as drpc's own benchmark
// does, with an encoding: msgpack, as objrmi's, or protobuf, as drpc's
// README table.
func pipeDRPC(desc drpc.Description, enc drpc.Encoding) func(testing.TB) caller {
	return func(tb testing.TB) caller {
		return startPipeDRPC(tb, desc, enc)
	}
}

func startPipeDRPC(tb testing.TB, desc drpc.Description, enc drpc.Encoding) caller {
	srv, err := newDRPCServer(desc)
	require.NoError(tb, err)
	a, b := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { srv.ServeOne(ctx, a) })
	conn := drpcconn.New(b)
	tb.Cleanup(func() {
		conn.Close()
		cancel()
		a.Close()
		wg.Wait()
	})
	return drpcCaller{conn, enc}
}

// pipeGRPC serves grpc-go on a listener whose connections are pipes the
// client's dialer opens.
func pipeGRPC(tb testing.TB) caller {
	ln := newPipeListener()
	srv := grpc.NewServer()
	srv.RegisterService(&grpcDesc, svc.Impl{})
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ln) })
	cc, err := grpc.NewClient("passthrough:///pipe",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.dial(ctx) }),
		grpc.WithDefaultCallOptions(grpc.CallContentSubtype(msgpackCodec{}.Name())))
	require.NoError(tb, err)
	tb.Cleanup(func() {
		cc.Close()
		srv.Stop()
		wg.Wait()
	})
	return grpcCaller{cc}
}

// pipeNetRPC serves one pipe with net/rpc's ServeConn.
func pipeNetRPC(tb testing.TB) caller {
	srv := rpc.NewServer()
	require.NoError(tb, srv.RegisterName("Bench", &netrpcBench{}))
	a, b := net.Pipe()
	var wg sync.WaitGroup
	wg.Go(func() { srv.ServeConn(a) })
	c := rpc.NewClient(b)
	tb.Cleanup(func() {
		c.Close()
		wg.Wait()
	})
	return netrpcCaller{c}
}

// pipeListener is a net.Listener whose connections are the server ends
// of pipes that dial opens.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	a, b := net.Pipe()
	select {
	case l.conns <- a:
		return b, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// pipeMessages are drpc's three sizes: Small is Add(a, b int64); Med and
// Large echo 2 KiB and 1 MiB.
var pipeMessages = []struct {
	name string
	size int // 0: Add
}{{"Small", 0}, {"Med", 2 << 10}, {"Large", 1 << 20}}

// BenchmarkPipe is the in-process round trip of each system, by message
// size: ns/op is one call's time, client and server together on the
// machine's CPUs; B/op and allocs/op (always reported) are both sides'.
func BenchmarkPipe(b *testing.B) {
	for _, m := range pipeMessages {
		b.Run(m.name, func(b *testing.B) {
			for _, sys := range pipeSystems {
				b.Run(sys.name, func(b *testing.B) {
					c := sys.start(b)
					ctx := context.Background()
					b.ReportAllocs()
					if m.size == 0 {
						for i := int64(0); b.Loop(); i++ {
							if sum, err := c.Add(ctx, i, 1); err != nil || sum != i+1 {
								b.Fatalf("Add(%d, 1) = %d, %v", i, sum, err)
							}
						}
						return
					}
					p := bytes.Repeat([]byte{0xa5}, m.size)
					b.SetBytes(int64(m.size))
					for b.Loop() {
						if r, err := c.Echo(ctx, p); err != nil || len(r) != m.size {
							b.Fatalf("Echo of %d bytes: %d bytes, %v", m.size, len(r), err)
						}
					}
				})
			}
		})
	}
}

// Every system answers correctly over net.Pipe, so BenchmarkPipe
// compares working systems, and go test runs each once.
func TestPipeSystemsAnswerCorrectly(t *testing.T) {
	for _, sys := range pipeSystems {
		t.Run(sys.name, func(t *testing.T) {
			c := sys.start(t)
			ctx := context.Background()
			for i := range int64(20) {
				sum, err := c.Add(ctx, i, 1)
				require.NoError(t, err)
				assert.Equal(t, i+1, sum)
			}
			for _, m := range pipeMessages[1:] {
				p := make([]byte, m.size)
				for i := range p {
					p[i] = byte(i * 7)
				}
				r, err := c.Echo(ctx, p)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(p, r), "echo of %d bytes", m.size)
			}
		})
	}
}

// The pipe listener hands each dial's pipe to Accept, and refuses both
// once closed.
func TestPipeListener(t *testing.T) {
	ln := newPipeListener()
	got := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		got <- c
	}()
	c, err := ln.dial(context.Background())
	require.NoError(t, err)
	s := <-got
	go c.Write([]byte("x"))
	buf := make([]byte, 1)
	_, err = s.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "x", string(buf))
	c.Close()
	s.Close()
	ln.Close()
	_, err = ln.Accept()
	assert.True(t, errors.Is(err, net.ErrClosed))
	_, err = ln.dial(context.Background())
	assert.True(t, errors.Is(err, net.ErrClosed))
}

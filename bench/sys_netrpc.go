package main

import (
	"context"
	"net"
	"net/rpc"

	"github.com/objrmi/objrmi/bench/svc"
)

// netrpcSystem is the standard library's net/rpc with its default gob
// codec: one client, which multiplexes its callers on one connection.
var netrpcSystem = system{
	name:  "net/rpc",
	about: "net/rpc with gob, one shared client",
	serve: func() (string, func(), error) {
		srv := rpc.NewServer()
		if err := srv.RegisterName("Bench", &netrpcBench{}); err != nil {
			return "", nil, err
		}
		return serveLoopback(func(nc net.Conn) { srv.ServeConn(nc) })
	},
	dial: func(_ context.Context, addr string, _ int) (client, error) {
		c, err := rpc.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		return shared{caller: netrpcCaller{c}, close: c.Close}, nil
	},
}

// netrpcBench adapts svc.Impl to net/rpc's method form.
type netrpcBench struct{ impl svc.Impl }

func (b *netrpcBench) Add(args *svc.AddArgs, sum *int64) (err error) {
	*sum, err = b.impl.Add(context.Background(), args.A, args.B)
	return err
}

func (b *netrpcBench) Echo(p []byte, out *[]byte) (err error) {
	*out, err = b.impl.Echo(context.Background(), p)
	return err
}

type netrpcCaller struct{ c *rpc.Client }

func (n netrpcCaller) Add(_ context.Context, a, b int64) (int64, error) {
	var sum int64
	err := n.c.Call("Bench.Add", &svc.AddArgs{A: a, B: b}, &sum)
	return sum, err
}

func (n netrpcCaller) Echo(_ context.Context, p []byte) ([]byte, error) {
	var out []byte
	err := n.c.Call("Bench.Echo", p, &out)
	return out, err
}

package main

import (
	"context"
	"net"

	"github.com/vmihailenco/msgpack/v5"
	"storj.io/drpc"
	"storj.io/drpc/drpcconn"
	"storj.io/drpc/drpcmux"
	"storj.io/drpc/drpcserver"

	"github.com/objrmi/objrmi/bench/svc"
)

// drpcSystem is storj.io/drpc with a msgpack encoding, the one objrmi
// uses, and a hand-written service description in place of what
// protoc-gen-go-drpc would generate (drpcDesc), so no protoc is needed.
// A drpc connection carries one call at a time (its manager allows one
// stream), so each caller has a connection of its own, as raw-tcp's do:
// that is how drpc is used concurrently.
var drpcSystem = system{
	name:  "drpc",
	about: "storj.io/drpc, msgpack encoding, hand-written description (no protoc), one connection per caller",
	serve: func() (string, func(), error) {
		srv, err := newDRPCServer(drpcDesc{})
		if err != nil {
			return "", nil, err
		}
		return serveLoopback(func(nc net.Conn) { srv.ServeOne(context.Background(), nc) })
	},
	dial: func(_ context.Context, addr string, callers int) (client, error) {
		c := &drpcClient{}
		for range callers {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				return nil, err
			}
			c.conns = append(c.conns, drpcCaller{drpcconn.New(nc), drpcMsgpack{}})
		}
		return c, nil
	},
}

func newDRPCServer(desc drpc.Description) (*drpcserver.Server, error) {
	mux := drpcmux.New()
	if err := mux.Register(drpcBench{}, desc); err != nil {
		return nil, err
	}
	return drpcserver.New(mux), nil
}

// drpcMsgpack is drpc's Encoding for msgpack.
type drpcMsgpack struct{}

func (drpcMsgpack) Marshal(msg drpc.Message) ([]byte, error)     { return msgpack.Marshal(msg) }
func (drpcMsgpack) Unmarshal(buf []byte, msg drpc.Message) error { return msgpack.Unmarshal(buf, msg) }

// drpcBenchServer is the server interface protoc-gen-go-drpc would
// declare: one request message in, one reply message out.
type drpcBenchServer interface {
	Add(context.Context, *svc.AddArgs) (*svc.AddReply, error)
	Echo(context.Context, *svc.Bytes) (*svc.Bytes, error)
}

// drpcBench adapts svc.Impl to drpcBenchServer.
type drpcBench struct{ impl svc.Impl }

func (d drpcBench) Add(ctx context.Context, in *svc.AddArgs) (*svc.AddReply, error) {
	sum, err := d.impl.Add(ctx, in.A, in.B)
	return &svc.AddReply{Sum: sum}, err
}

func (d drpcBench) Echo(ctx context.Context, in *svc.Bytes) (*svc.Bytes, error) {
	p, err := d.impl.Echo(ctx, in.P)
	return &svc.Bytes{P: p}, err
}

// drpcDesc is the drpc.Description protoc-gen-go-drpc would generate for
// drpcBenchServer, written by hand: the mux reads each method's request
// type from the method expression.
type drpcDesc struct{}

func (drpcDesc) NumMethods() int { return 2 }

func (drpcDesc) Method(n int) (string, drpc.Encoding, drpc.Receiver, any, bool) {
	switch n {
	case 0:
		return "/bench.Bench/Add", drpcMsgpack{},
			func(srv any, ctx context.Context, in1, _ any) (drpc.Message, error) {
				return srv.(drpcBenchServer).Add(ctx, in1.(*svc.AddArgs))
			}, drpcBenchServer.Add, true
	case 1:
		return "/bench.Bench/Echo", drpcMsgpack{},
			func(srv any, ctx context.Context, in1, _ any) (drpc.Message, error) {
				return srv.(drpcBenchServer).Echo(ctx, in1.(*svc.Bytes))
			}, drpcBenchServer.Echo, true
	}
	return "", nil, nil, nil, false
}

type drpcClient struct{ conns []drpcCaller }

func (c *drpcClient) Caller(i int) caller { return c.conns[i] }

func (c *drpcClient) Close() error {
	for _, cc := range c.conns {
		cc.c.Close()
	}
	return nil
}

// drpcCaller calls over one drpc connection: what the generated client
// does.
type drpcCaller struct {
	c   *drpcconn.Conn
	enc drpc.Encoding
}

func (d drpcCaller) Add(ctx context.Context, a, b int64) (int64, error) {
	var out svc.AddReply
	err := d.c.Invoke(ctx, "/bench.Bench/Add", d.enc, &svc.AddArgs{A: a, B: b}, &out)
	return out.Sum, err
}

func (d drpcCaller) Echo(ctx context.Context, p []byte) ([]byte, error) {
	var out svc.Bytes
	err := d.c.Invoke(ctx, "/bench.Bench/Echo", d.enc, &svc.Bytes{P: p}, &out)
	return out.P, err
}

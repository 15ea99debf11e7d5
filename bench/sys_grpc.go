package main

import (
	"context"

	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"

	"github.com/objrmi/objrmi/bench/svc"
)

// grpcSystem is grpc-go over HTTP/2 with a msgpack codec registered
// through encoding.RegisterCodec, the encoding objrmi uses, so that no
// protoc is needed and the two differ in their protocols, not their
// serializers. One ClientConn is shared by every caller.
var grpcSystem = system{
	name:  "grpc-go",
	about: "grpc-go, msgpack codec via encoding.RegisterCodec, one shared ClientConn",
	serve: func() (string, func(), error) {
		ln, err := listenLoopback()
		if err != nil {
			return "", nil, err
		}
		srv := grpc.NewServer()
		srv.RegisterService(&grpcDesc, svc.Impl{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.Serve(ln)
		}()
		return ln.Addr().String(), func() { srv.Stop(); <-done }, nil
	},
	dial: func(_ context.Context, addr string, _ int) (client, error) {
		cc, err := grpc.NewClient("passthrough:///"+addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.CallContentSubtype(msgpackCodec{}.Name())))
		if err != nil {
			return nil, err
		}
		return shared{caller: grpcCaller{cc}, close: cc.Close}, nil
	},
}

func init() { encoding.RegisterCodec(msgpackCodec{}) }

type msgpackCodec struct{}

func (msgpackCodec) Marshal(v any) ([]byte, error)      { return msgpack.Marshal(v) }
func (msgpackCodec) Unmarshal(data []byte, v any) error { return msgpack.Unmarshal(data, v) }
func (msgpackCodec) Name() string                       { return "msgpack" }

// grpcDesc is what protoc would have generated for the service.
var grpcDesc = grpc.ServiceDesc{
	ServiceName: "bench.Bench",
	HandlerType: (*svc.Bench)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Add", Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in svc.AddArgs
			if err := dec(&in); err != nil {
				return nil, err
			}
			sum, err := srv.(svc.Bench).Add(ctx, in.A, in.B)
			return &svc.AddReply{Sum: sum}, err
		}},
		{MethodName: "Echo", Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in svc.Bytes
			if err := dec(&in); err != nil {
				return nil, err
			}
			p, err := srv.(svc.Bench).Echo(ctx, in.P)
			return &svc.Bytes{P: p}, err
		}},
	},
}

type grpcCaller struct{ cc *grpc.ClientConn }

func (g grpcCaller) Add(ctx context.Context, a, b int64) (int64, error) {
	var out svc.AddReply
	err := g.cc.Invoke(ctx, "/bench.Bench/Add", &svc.AddArgs{A: a, B: b}, &out)
	return out.Sum, err
}

func (g grpcCaller) Echo(ctx context.Context, p []byte) ([]byte, error) {
	var out svc.Bytes
	err := g.cc.Invoke(ctx, "/bench.Bench/Echo", &svc.Bytes{P: p}, &out)
	return out.P, err
}

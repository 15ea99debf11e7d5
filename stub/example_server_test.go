package stub_test

import (
	"context"
	"fmt"

	"github.com/objrmi/objrmi/remote"
	"github.com/objrmi/objrmi/stub"
)

// Doubler is a remote interface whose server code is written by hand
// here, as objstub would generate it.
type Doubler interface {
	Double(ctx context.Context, x int64) (int64, error)
}

type doublerStub struct{ *stub.Stub }

func (s doublerStub) Double(ctx context.Context, x int64) (int64, error) {
	var r int64
	err := s.Invoke(ctx, 0, []any{x}, []any{&r})
	return r, err
}

// doublerServer decodes each argument into a typed variable, calls the
// method directly and encodes its results: no reflection per call.
func doublerServer(ctx context.Context, obj Doubler, c *stub.ServerCall) bool {
	switch c.Method() {
	case 0:
		x := stub.Arg[int64](c)
		if !c.Run() {
			return true // the runtime answers that the arguments did not decode
		}
		r, err := obj.Double(ctx, x)
		if c.Return(err) {
			stub.Result(c, r)
		}
	default:
		return false // served by reflection
	}
	return true
}

type doubler struct{}

func (doubler) Double(_ context.Context, x int64) (int64, error) { return 2 * x, nil }

// RegisterServer records the server code of Doubler, which every
// exported Doubler then serves its calls with. Generated code calls it
// from init, with Arg, Run, Return and Result as shown.
func ExampleRegisterServer() {
	stub.Register[Doubler](func(s *stub.Stub) Doubler { return doublerStub{s} })
	stub.RegisterServer[Doubler](doublerServer, "Double")

	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[Doubler](server, doubler{}, remote.WithID(7))
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()

	ctx := context.Background()
	d, err := remote.Dial[Doubler](ctx, client, server.Endpoint(), 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Double(ctx, 21))
	// Output: 42 <nil>
}

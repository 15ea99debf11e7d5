package stub_test

import (
	"context"
	"fmt"

	"github.com/objrmi/objrmi/remote"
	"github.com/objrmi/objrmi/stub"
)

// Adder is a remote interface whose shell is written by hand here, as
// objstub would generate it.
type Adder interface {
	Add(ctx context.Context, a, b int64) (int64, error)
}

// adderStub forwards each method to Invoke, by its index in the
// interface's sorted method order.
type adderStub struct{ *stub.Stub }

func (s adderStub) Add(ctx context.Context, a, b int64) (int64, error) {
	var sum int64
	err := s.Invoke(ctx, 0, []any{a, b}, []any{&sum})
	return sum, err
}

type adder struct{}

func (adder) Add(_ context.Context, a, b int64) (int64, error) { return a + b, nil }

// Register records the shell that remote.Dial, remote.StubOf and
// registry.Lookup use for Adder. Generated code calls it from init.
func ExampleRegister() {
	stub.Register[Adder](func(s *stub.Stub) Adder { return adderStub{s} })

	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[Adder](server, adder{}, remote.WithID(7))
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()

	ctx := context.Background()
	a, err := remote.Dial[Adder](ctx, client, server.Endpoint(), 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	sum, err := a.Add(ctx, 2, 3)
	fmt.Println(sum, err)
	// Output: 5 <nil>
}

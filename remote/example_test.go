package remote_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// A server exports an object at a well-known id; a client runtime with no
// listener dials it and calls it through the generated stub.
func Example() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100))

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, err := remote.Dial[testsvc.Calculator](ctx, client, server.Endpoint(), 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	sum, err := calc.Add(ctx, 2, 3)
	fmt.Println(sum, err)
	// Output: 5 <nil>
}

func ExampleExport() {
	rt, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer rt.Close()
	ref, err := remote.Export[testsvc.Calculator](rt, testsvc.NewCalc())
	fmt.Println(ref.Iface, ref.Object >= remote.FirstDynamicID, err)
	// Output: Calculator true <nil>
}

func ExampleStubOf() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())

	// A Ref is a plain value: it can be printed, stored or sent, and
	// turned back into a stub by any runtime.
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.StubOf[testsvc.Calculator](client, ref)
	diff, err := calc.Add(ctx, 10, -4)
	fmt.Println(diff, err)
	// Output: 6 <nil>
}

func ExampleDial() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100))

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.Dial[testsvc.Calculator](ctx, client, server.Endpoint(), 100)
	// A counter created on the server comes back by reference.
	counter, _ := calc.NewCounter(ctx, 41)
	n, _ := counter.Incr(ctx, 1)
	_, isStub := remote.RefOf(counter)
	fmt.Println(n, isStub)
	// Output: 42 true
}

func ExampleDynamic() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	out, err := remote.Dynamic(client, ref).Call(ctx, "Add", 20, 22)
	fmt.Println(out, err)
	// Output: [42] <nil>
}

func ExampleRuntime_RegisterError() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_ = server.RegisterError("testsvc.div0", testsvc.ErrDivByZero)
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	_ = client.RegisterError("testsvc.div0", testsvc.ErrDivByZero)
	calc, _ := remote.StubOf[testsvc.Calculator](client, ref)
	_, err := calc.Div(ctx, 1, 0)
	fmt.Println(errors.Is(err, testsvc.ErrDivByZero), errors.Is(err, objerr.ErrRemote))
	// Output: true true
}

func ExampleRuntime_Unexport() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.StubOf[testsvc.Calculator](client, ref)

	_ = server.Unexport(ref)
	_, err := calc.Add(ctx, 1, 2)
	fmt.Println(errors.Is(err, objerr.ErrNoSuchObject), errors.Is(err, objerr.ErrNotSent))
	// Output: true true
}

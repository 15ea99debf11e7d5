package remote_test

import (
	"context"
	"fmt"
	"time"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// Releasing a stub tells the owner at once; an object passed by
// reference is unexported when its last holder lets go, after its
// Unreferenced method (if any) has been called.
func ExampleRelease() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	impl := testsvc.NewCalc()
	_, _ = remote.Export[testsvc.Calculator](server, impl, remote.WithID(100))

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.Dial[testsvc.Calculator](ctx, client, server.Endpoint(), 100)
	counter, _ := calc.NewCounter(ctx, 41) // exported implicitly, held by the client
	n, _ := counter.Incr(ctx, 1)
	fmt.Println(n)

	remote.Release(counter)
	fmt.Println("unreferenced:", <-impl.Unreferenced)
	// Output:
	// 42
	// unreferenced: 41
}

// A collectable export ends like an implicit one: unexported when the
// last runtime holding it lets go.
func ExampleCollectable() {
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.Collectable())

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.StubOf[testsvc.Calculator](client, ref)
	for len(server.Inspect().Exports[0].Holders) == 0 {
		time.Sleep(time.Millisecond) // the client's dirty is on its way
	}
	remote.Release(calc)
	for len(server.Inspect().Exports) > 0 {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("collected")
	// Output: collected
}

// Inspect shows who holds what: here the client holds one counter.
func ExampleRuntime_Inspect() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100))
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.Dial[testsvc.Calculator](ctx, client, server.Endpoint(), 100)
	counter, _ := calc.NewCounter(ctx, 0)
	defer remote.Release(counter)

	for {
		s := server.Inspect()
		if len(s.Exports) == 2 && len(s.Exports[1].Holders) == 1 {
			fmt.Println(s.Exports[1].Ref.Iface, "held by the client:", s.Exports[1].Holders[0].Runtime == client.ID())
			break
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Println("client holds:", len(client.Inspect().Held))
	// Output:
	// Counter held by the client: true
	// client holds: 1
}

// A method learns which runtime called it.
func ExampleCaller() {
	_, ok := remote.Caller(context.Background())
	fmt.Println("outside a remote call:", ok)
	// Output: outside a remote call: false
}

package remote_test

import (
	"context"
	"fmt"
	"time"

	"github.com/objrmi/objrmi/gc"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// Shutdown closes the runtime and then waits, as long as its context
// allows, for the methods it was serving to return.
func ExampleRuntime_Shutdown() {
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	impl := testsvc.NewCalc()
	_, _ = remote.Export[testsvc.Calculator](server, impl, remote.WithID(100))
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.Dial[testsvc.Calculator](context.Background(), client, server.Endpoint(), 100)
	go calc.Wait(context.Background(), time.Minute) // a method that waits on its context
	<-impl.Started

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fmt.Println(server.Shutdown(ctx))
	fmt.Println((<-impl.Ended).Cause)
	// Output:
	// <nil>
	// objrmi: the runtime is closing
}

// note is a Counter that wants to know why it is no longer held.
type note struct{ why chan gc.Reason }

func (n note) UnreferencedBecause(why gc.Reason)          { n.why <- why }
func (n note) Incr(context.Context, int64) (int64, error) { return 0, nil }
func (n note) Get(context.Context) (int64, error)         { return 0, nil }

// An object that implements UnreferencedBecause learns why no runtime
// holds it any more.
func ExampleUnreferencedBecause() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	obj := note{why: make(chan gc.Reason, 1)}
	ref, _ := remote.Export[testsvc.Counter](server, obj, remote.Collectable())

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	holder := remote.Dynamic(client, ref)
	_ = client.Confirm(ctx, holder) // the owner counts the client as a holder
	holder.Release()
	fmt.Println(<-obj.why)
	// Output: its last holder released it
}

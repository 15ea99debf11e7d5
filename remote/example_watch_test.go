package remote_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Watch tells a holder when a reference is lost: here the owner
// unexports the object, and the holder's next renewal hears so.
func ExampleRuntime_Watch() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Lease: time.Second})
	defer server.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.StubOf[testsvc.Calculator](client, ref)
	defer remote.Release(calc)    // and keeps it reachable until then
	_ = client.Confirm(ctx, calc) // the owner granted the lease
	lost := client.Watch(calc)

	_ = server.Unexport(ref)
	<-lost.Done() // at the renewal, half a lease later
	why := context.Cause(lost)
	fmt.Println(errors.Is(why, objerr.ErrNoSuchObject), strings.HasSuffix(why.Error(), "it was unexported"))
	// Output: true true
}

// Confirm waits for the owner's answer to a new reference: nil once the
// lease is granted, the owner's reason if the object is gone.
func ExampleRuntime_Confirm() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())
	gone, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())
	_ = server.Unexport(gone)

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.StubOf[testsvc.Calculator](client, ref)
	fmt.Println(client.Confirm(ctx, calc))
	stale, _ := remote.StubOf[testsvc.Calculator](client, gone)
	fmt.Println(errors.Is(client.Confirm(ctx, stale), objerr.ErrNoSuchObject))
	// Output:
	// <nil>
	// true
}

// Holders asks an object's owner who holds it, as objregistry lookup
// does.
func ExampleRuntime_Holders() {
	ctx := context.Background()
	// Holders are disclosed only to those the owner's Authorize allows:
	// here, tools on its own host.
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0",
		Authorize: func(_ context.Context, c remote.Call) error {
			ap, err := netip.ParseAddrPort(c.Addr.String())
			if c.Method == "Inspect" && (err != nil || !ap.Addr().IsLoopback()) {
				return errors.New("holders are shown to local tools only")
			}
			return nil
		}})
	defer server.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.StubOf[testsvc.Calculator](client, ref)
	defer remote.Release(calc) // and keeps it reachable until then
	_ = client.Confirm(ctx, calc)

	tool, _ := remote.NewRuntime(remote.Options{})
	defer tool.Close()
	o, err := tool.Holders(ctx, ref)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(o.Holders), o.Holders[0].Runtime == client.ID())
	// Output: 1 true
}

// CallerAddr gives a method the network address its call came from.
func ExampleCallerAddr() {
	seen := make(chan net.Addr, 1)
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[testsvc.Listener](server, listenerFunc(func(ctx context.Context) {
		addr, _ := remote.CallerAddr(ctx)
		seen <- addr
	}), remote.WithID(100))

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	l, _ := remote.Dial[testsvc.Listener](context.Background(), client, server.Endpoint(), 100)
	_ = l.OnEvent(context.Background(), 1, "hello")
	addr := <-seen
	fmt.Println(addr.(*net.TCPAddr).IP)
	// Output: 127.0.0.1
}

type listenerFunc func(ctx context.Context)

func (f listenerFunc) OnEvent(ctx context.Context, _ int, _ string) error {
	f(ctx)
	return nil
}

package registry_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Replicas join a group; a client's group stub balances over them and
// fails over between them.
func ExampleLookupGroup() {
	ctx := context.Background()
	regRT, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer regRT.Close()
	reg, _ := registry.Serve(regRT, registry.Options{})
	defer reg.Close()

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	bank, _ := registry.LookupGroup[testsvc.Account](ctx, client, reg.URL()+"/bank", remote.GroupOptions{})
	defer remote.Release(bank)
	_, err := bank.Name(ctx)
	fmt.Println(errors.Is(err, objerr.ErrUnavailable), errors.Is(err, objerr.ErrNotSent))

	rt, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer rt.Close()
	ref, _ := remote.Export[testsvc.Account](rt, testsvc.NewAccount("r1", 0))
	c, _ := registry.Dial(ctx, rt, reg.URL())
	fmt.Println(c.Join(ctx, "bank", ref))
	members, _ := c.Members(ctx, "bank")
	fmt.Println(len(members))
	// Output:
	// true true
	// <nil>
	// 1
}

// A member leaves its group; Leave of a non-member fails.
func ExampleClient_Leave() {
	ctx := context.Background()
	regRT, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer regRT.Close()
	reg, _ := registry.Serve(regRT, registry.Options{})
	defer reg.Close()
	rt, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer rt.Close()
	ref, _ := remote.Export[testsvc.Account](rt, testsvc.NewAccount("r1", 0))
	c, _ := registry.Dial(ctx, rt, reg.URL())
	_ = c.Join(ctx, "bank", ref)
	fmt.Println(c.Leave(ctx, "bank", ref))
	fmt.Println(errors.Is(c.Leave(ctx, "bank", ref), registry.ErrNotMember))
	// Output:
	// <nil>
	// true
}

package registry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// The whole round: a server starts a registry inside its runtime and
// binds an object; a client looks it up by URL, typed, and calls it.
func Example() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	reg, _ := registry.Serve(server, registry.Options{}) // the embedded registry
	defer reg.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())
	_ = reg.Bind(ctx, "calc", ref)

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, err := registry.Lookup[testsvc.Calculator](ctx, client, reg.URL()+"/calc")
	if err != nil {
		fmt.Println(err)
		return
	}
	sum, _ := calc.Add(ctx, 2, 3)
	fmt.Println(sum)
	// Output: 5
}

// A client binds, lists and unbinds; each failure is a sentinel.
func ExampleDial() {
	ctx := context.Background()
	regRT, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer regRT.Close()
	srv, _ := registry.Serve(regRT, registry.Options{})
	defer srv.Close()

	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())
	reg, _ := registry.Dial(ctx, server, srv.URL())
	fmt.Println(reg.Bind(ctx, "calc", ref))
	fmt.Println(errors.Is(reg.Bind(ctx, "calc", ref), registry.ErrAlreadyBound))
	names, _ := reg.List(ctx)
	fmt.Println(names)
	fmt.Println(reg.Unbind(ctx, "calc"))
	fmt.Println(errors.Is(reg.Unbind(ctx, "calc"), registry.ErrNotBound))
	// Output:
	// <nil>
	// true
	// [calc]
	// <nil>
	// true
}

// Looking up a name bound to another interface is a type error.
func ExampleLookup() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	reg, _ := registry.Serve(server, registry.Options{})
	defer reg.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())
	_ = reg.Bind(ctx, "calc", ref)

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	_, err := registry.Lookup[testsvc.Counter](ctx, client, reg.URL()+"/calc")
	fmt.Println(errors.Is(err, registry.ErrWrongType))
	_, err = registry.Lookup[testsvc.Calculator](ctx, client, reg.URL()+"/nothing")
	fmt.Println(errors.Is(err, registry.ErrNotBound))
	// Output:
	// true
	// true
}

// LookupIn reuses one client for many lookups.
func ExampleLookupIn() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	srv, _ := registry.Serve(server, registry.Options{})
	defer srv.Close()
	for _, name := range []string{"a", "b"} {
		ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())
		_ = srv.Bind(ctx, name, ref)
	}
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	reg, _ := registry.Dial(ctx, client, srv.URL())
	for _, name := range []string{"a", "b"} {
		calc, _ := registry.LookupIn[testsvc.Calculator](ctx, reg, name)
		n, _ := calc.Add(ctx, 1, 1)
		fmt.Println(name, n)
	}
	// Output:
	// a 2
	// b 2
}

func ExampleParseURL() {
	u, _ := registry.ParseURL("objrmi://registry.example.com/billing/calc")
	fmt.Println(u.Host, u.Port, u.Name)
	_, err := registry.ParseURL("objrmi://registry.example.com:99999/calc")
	fmt.Println(err)
	// Output:
	// registry.example.com 1099 billing/calc
	// objrmi registry: bad URL "objrmi://registry.example.com:99999/calc": port 99999 is out of range 1-65535
}

func ExampleCheckName() {
	fmt.Println(registry.CheckName("billing/calc-2"))
	fmt.Println(registry.CheckName("a b"))
	// Output:
	// <nil>
	// objrmi registry: bad name: "a b": forbidden character ' ' at byte 1 (allowed: letters, digits, '.', '_', '-', and '/' between parts)
}

// A file store keeps the bindings across a restart of the registry.
func ExampleOpenFileStore() {
	dir, _ := os.MkdirTemp("", "registry")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bindings.json")

	store, _ := registry.OpenFileStore(path, registry.FileOptions{})
	ref := remote.Ref{Runtime: [16]byte{1}, Endpoint: "127.0.0.1:7099", Object: 1024, Iface: "Calculator"}
	_ = store.Create(context.Background(), registry.Binding{Name: "calc", Ref: ref})
	_, err := registry.OpenFileStore(path, registry.FileOptions{})
	fmt.Println(err != nil) // one store per file at a time
	store.Close()

	reopened, _ := registry.OpenFileStore(path, registry.FileOptions{})
	defer reopened.Close()
	b, _ := reopened.Get(context.Background(), "calc")
	fmt.Println(b.Name, b.Ref.Endpoint, b.Ref.Object)
	// Output:
	// true
	// calc 127.0.0.1:7099 1024
}

// Access decides who may change bindings. LocalOr gives the bind right
// to the registry's host and to named principals, here one proved by a
// token (a client certificate works the same way, under mutual TLS). The
// far runtimes dial from 127.0.0.2, which LocalOnly takes for another
// host.
func ExampleLocalOr() {
	ctx := context.Background()
	rt, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0",
		CheckToken: func(_ context.Context, token string) (string, error) {
			if token == "s3cret" { // a real check would look the token up
				return "deployer", nil
			}
			return "", errors.New("unknown token")
		}})
	defer rt.Close()
	srv, _ := registry.Serve(rt, registry.Options{Access: registry.LocalOr("deployer")})
	defer srv.Close()

	// InsecureToken: this example has no TLS, so the token travels in
	// plaintext, which only a trusted network excuses.
	deployer, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Dial: fromAddr("127.0.0.2"),
		Token: "s3cret", InsecureToken: true})
	defer deployer.Close()
	ref, _ := remote.Export[testsvc.Calculator](deployer, testsvc.NewCalc())
	reg, _ := registry.Dial(ctx, deployer, srv.URL())
	fmt.Println(reg.Bind(ctx, "calc", ref))

	stranger, _ := remote.NewRuntime(remote.Options{Dial: fromAddr("127.0.0.2")})
	defer stranger.Close()
	reg2, _ := registry.Dial(ctx, stranger, srv.URL())
	err := reg2.Unbind(ctx, "calc")
	fmt.Println(errors.Is(err, registry.ErrAccessDenied), errors.Is(err, objerr.ErrNotSent))
	// Output:
	// <nil>
	// true true
}

// An owner keeps its name bound whatever happens to the binding: here it
// is unbound behind the owner's back, and KeepBound binds it again.
func ExampleKeepBound() {
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	srv, _ := registry.Serve(server, registry.Options{})
	defer srv.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- registry.KeepBound(ctx, srv, "calc", ref, registry.KeepOptions{Interval: 20 * time.Millisecond})
	}()

	waitBound := func() {
		for {
			if b, err := srv.Lookup(context.Background(), "calc"); err == nil && b == ref {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitBound()
	fmt.Println(srv.Unbind(context.Background(), "calc"))
	waitBound() // bound again by KeepBound
	fmt.Println("bound again")
	cancel()
	fmt.Println(errors.Is(<-done, context.Canceled))
	// Output:
	// <nil>
	// bound again
	// true
}

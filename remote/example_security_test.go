package remote_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// An export's own rule lets only one principal call Add. Principals here
// come from handshake tokens; under mutual TLS they come from client
// certificates, with no change to the rule.
func ExampleWithAuthorize() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0",
		CheckToken: func(_ context.Context, token string) (string, error) {
			if token == "bob's token" {
				return "bob", nil
			}
			return "", errors.New("unknown token")
		}})
	defer server.Close()
	remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100),
		remote.WithAuthorize(func(_ context.Context, c remote.Call) error {
			if c.Method == "Add" && c.Principal.Name != "bob" {
				return fmt.Errorf("%s may not add", c.Principal)
			}
			return nil
		}))

	anonymous, _ := remote.NewRuntime(remote.Options{})
	defer anonymous.Close()
	calc, _ := remote.Dial[testsvc.Calculator](ctx, anonymous, server.Endpoint(), 100)
	_, err := calc.Add(ctx, 1, 2)
	fmt.Println(errors.Is(err, objerr.ErrAccessDenied), errors.Is(err, objerr.ErrNotSent))

	// Without TLS the token would travel in clear: InsecureToken says
	// that is acceptable here, as it is on no real network.
	bob, _ := remote.NewRuntime(remote.Options{Token: "bob's token", InsecureToken: true})
	defer bob.Close()
	calc, _ = remote.Dial[testsvc.Calculator](ctx, bob, server.Endpoint(), 100)
	fmt.Println(calc.Add(ctx, 1, 2))
	// Output:
	// true true
	// 3 <nil>
}

// A method learns who called it from its context.
func ExamplePrincipalOf() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0",
		CheckToken: func(_ context.Context, token string) (string, error) { return "alice", nil },
		Authorize: func(ctx context.Context, c remote.Call) error {
			if c.Method == "" {
				return nil // Dial's check that the object exists: no method runs
			}
			who, _ := remote.PrincipalOf(ctx)
			fmt.Println(c.Interface+"."+c.Method, "by", who)
			return nil
		}})
	defer server.Close()
	remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100))
	client, _ := remote.NewRuntime(remote.Options{Token: "any", InsecureToken: true})
	defer client.Close()
	calc, _ := remote.Dial[testsvc.Calculator](ctx, client, server.Endpoint(), 100)
	calc.Add(ctx, 1, 2)
	// Output:
	// Calculator.Add by alice (token)
}

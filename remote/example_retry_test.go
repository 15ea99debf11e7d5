package remote_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// A runtime-wide policy: up to 3 attempts, exactly-once protection for
// unmarked methods, and a budget shared by every call.
func ExampleRetryPolicy() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[testsvc.Account](server, testsvc.NewAccount("a", 100), remote.WithID(101))

	client, _ := remote.NewRuntime(remote.Options{Retry: remote.RetryPolicy{
		MaxAttempts: 3, ExactlyOnce: true, Budget: remote.NewRetryBudget(0.2, 10)}})
	defer client.Close()
	acct, _ := remote.Dial[testsvc.Account](ctx, client, server.Endpoint(), 101)
	// Withdraw has no mark: if its reply were lost, the retry would be
	// answered from the server's completion record, not run again.
	bal, err := acct.Withdraw(ctx, 30)
	fmt.Println(bal, err)
	// Output: 70 <nil>
}

// A call's own policy wins over the stub's and the runtime's; an
// unreachable endpoint and a deadline shorter than the backoff fail at
// once with the deadline error.
func ExampleWithRetry() {
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.StubOf[testsvc.Calculator](client, remote.WellKnown("127.0.0.1:1", 100, "Calculator"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ctx = remote.WithRetry(ctx, remote.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Minute})
	_, err := calc.Add(ctx, 1, 2)
	fmt.Println(errors.Is(err, context.DeadlineExceeded), errors.Is(err, objerr.ErrNotSent))
	// Output: true true
}

// Retrying gives one stub its own policy; here, none at all.
func ExampleRetrying() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100))
	client, _ := remote.NewRuntime(remote.Options{Retry: remote.RetryPolicy{MaxAttempts: 3}})
	defer client.Close()
	calc, _ := remote.Dial[testsvc.Calculator](ctx, client, server.Endpoint(), 100)
	once := remote.Retrying(calc, remote.RetryPolicy{})
	defer remote.Release(once)
	sum, err := once.Add(ctx, 2, 3)
	fmt.Println(sum, err)
	// Output: 5 <nil>
}

// NewRetryBudget: retries add at most 20 % of the calls plus 10 a second.
func ExampleNewRetryBudget() {
	budget := remote.NewRetryBudget(0.2, 10)
	rt, err := remote.NewRuntime(remote.Options{Retry: remote.RetryPolicy{MaxAttempts: 3, Budget: budget}})
	fmt.Println(err)
	rt.Close()
	// Output: <nil>
}

// A breaker per endpoint: after 2 failures in a row, calls fail fast.
func ExampleBreakerPolicy() {
	client, _ := remote.NewRuntime(remote.Options{Breaker: &remote.BreakerPolicy{Failures: 2, OpenFor: time.Minute}})
	defer client.Close()
	calc, _ := remote.StubOf[testsvc.Calculator](client, remote.WellKnown("127.0.0.1:1", 100, "Calculator"))
	for range 3 {
		_, err := calc.Add(context.Background(), 1, 2)
		fmt.Println(objerr.CodeOf(err), objerr.KindOf(err))
	}
	// Output:
	// connection failed not sent
	// connection failed not sent
	// circuit open not sent
}

// A group of two replicas behind one stub, kept by hand (a registry's
// group does it for you: registry.LookupGroup).
func ExampleNewGroup() {
	ctx := context.Background()
	var members []remote.Ref
	for _, name := range []string{"r1", "r2"} {
		rt, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
		defer rt.Close()
		ref, _ := remote.Export[testsvc.Account](rt, testsvc.NewAccount(name, 0))
		members = append(members, ref)
	}
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	g, _ := remote.NewGroup(client, "bank", remote.GroupOptions{})
	g.Set(members)
	bank, _ := remote.GroupStub[testsvc.Account](g)
	defer remote.Release(bank) // closes g
	seen := map[string]bool{}
	for range 50 {
		name, _ := bank.Name(ctx)
		seen[name] = true
	}
	fmt.Println(len(seen))
	// Output: 2
}

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

// A server interceptor refuses calls that carry no tenant in their
// metadata; the client sends one with WithMetadata.
func ExampleInterceptor() {
	ctx := context.Background()
	requireTenant := func(ctx context.Context, call *remote.CallInfo, next func(context.Context) error) error {
		if call.Meta.Get("tenant") == "" {
			return errors.New("no tenant in the call's metadata")
		}
		return next(ctx)
	}
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0",
		ServerInterceptors: []remote.Interceptor{requireTenant}})
	defer server.Close()
	_, _ = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100))

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.Dial[testsvc.Calculator](ctx, client, server.Endpoint(), 100)
	_, err := calc.Add(ctx, 2, 3)
	fmt.Println(errors.Is(err, objerr.ErrAccessDenied))
	sum, err := calc.Add(remote.WithMetadata(ctx, "tenant", "acme"), 2, 3)
	fmt.Println(sum, err)
	// Output:
	// true
	// 5 <nil>
}

// A method reads its call's metadata and answers with some of its own,
// which the client collects with WithReplyMetadata.
func ExampleSetReplyMetadata() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	ref, _ := remote.Export[MetaEcho](server, metaEcho{}) // Echo sets "echoed" on its reply

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	var reply remote.Metadata
	ctx = remote.WithReplyMetadata(remote.WithMetadata(ctx, "request-id", "r-7"), &reply)
	out, err := remote.Dynamic(client, ref).Call(ctx, "Echo", "request-id")
	fmt.Println(out, err, reply.Get("echoed"))
	// Output: [r-7] <nil> request-id
}

// logCalls is an Observer that prints each call as it ends.
type logCalls struct{}

func (logCalls) CallStart(ctx context.Context, _ *remote.CallInfo) context.Context { return ctx }

func (logCalls) CallEnd(_ context.Context, c *remote.CallInfo, _ time.Duration, err error) {
	fmt.Printf("%s %s.%s: %v\n", c.Side, c.Interface, c.Method, objerr.CodeOf(err))
}

// An observer sees every method call, for metrics and traces.
func ExampleObserver() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{logCalls{}}})
	defer server.Close()
	_, _ = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100))
	client, _ := remote.NewRuntime(remote.Options{Observers: []remote.Observer{logCalls{}}})
	defer client.Close()
	calc, _ := remote.Dial[testsvc.Calculator](ctx, client, server.Endpoint(), 100)
	_, _ = calc.Div(ctx, 1, 0)
	// Output:
	// server Calculator.Div: application error
	// client Calculator.Div: application error
}

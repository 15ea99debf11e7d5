package remote_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// exampleCalc serves a Calculator and dials it, for the examples.
func exampleCalc() (testsvc.Calculator, func()) {
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	_ = server.RegisterError("testsvc.div0", testsvc.ErrDivByZero)
	_, _ = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100))
	client, _ := remote.NewRuntime(remote.Options{})
	_ = client.RegisterError("testsvc.div0", testsvc.ErrDivByZero)
	calc, err := remote.Dial[testsvc.Calculator](context.Background(), client, server.Endpoint(), 100)
	if err != nil {
		panic(err)
	}
	return calc, func() { client.Close(); server.Close() }
}

// objstub's AsyncCalculator gives each method of Calculator a form that
// returns a future at once.
func ExampleFuture() {
	calc, done := exampleCalc()
	defer done()
	ctx := context.Background()
	var f *remote.Future[int64] = testsvc.AsyncCalculator(calc).Add(ctx, 2, 3)
	sum, err := f.Await(ctx)
	fmt.Println(sum, err)
	// Output: 5 <nil>
}

// AwaitAll waits for many futures and gives their results in order.
func ExampleAwaitAll() {
	calc, done := exampleCalc()
	defer done()
	ctx := context.Background()
	async := testsvc.AsyncCalculator(calc)
	var fs []*remote.Future[int64]
	for i := range 1000 {
		fs = append(fs, async.Add(ctx, int64(i), 1))
	}
	sums, err := remote.AwaitAll(ctx, fs...)
	fmt.Println(len(sums), sums[0], sums[999], err)
	// Output: 1000 1 1000 <nil>
}

// A batch: calls made through InBatch's stub in its async form leave in
// one frame on Send and come back in one.
func ExampleNewBatch() {
	calc, done := exampleCalc()
	defer done()
	ctx := context.Background()
	b := remote.NewBatch()
	inBatch, _ := remote.InBatch(b, calc)
	async := testsvc.AsyncCalculator(inBatch)
	sum, quotient, bad := async.Add(ctx, 2, 3), async.Div(ctx, 9, 3), async.Div(ctx, 1, 0)
	if err := b.Send(ctx); err != nil {
		fmt.Println(err)
		return
	}
	s, _ := sum.Await(ctx)
	q, _ := quotient.Await(ctx)
	_, err := bad.Await(ctx)
	fmt.Println(s, q, errors.Is(err, testsvc.ErrDivByZero))
	// Output: 5 3 true
}

// With StopOnError, the calls after a failed one do not run.
func ExampleStopOnError() {
	calc, done := exampleCalc()
	defer done()
	ctx := context.Background()
	b := remote.NewBatch(remote.StopOnError())
	inBatch, _ := remote.InBatch(b, calc)
	async := testsvc.AsyncCalculator(inBatch)
	bad, next := async.Div(ctx, 1, 0), async.Add(ctx, 1, 1)
	_ = b.Send(ctx)
	_, err := bad.Await(ctx)
	fmt.Println(errors.Is(err, testsvc.ErrDivByZero))
	_, err = next.Await(ctx)
	fmt.Println(errors.Is(err, objerr.ErrBatchStopped), errors.Is(err, objerr.ErrNotSent))
	// Output:
	// true
	// true true
}

// InBatch binds a stub to a batch; a local object cannot be batched.
func ExampleInBatch() {
	calc, done := exampleCalc()
	defer done()
	b := remote.NewBatch()
	_, err := remote.InBatch(b, calc)
	fmt.Println(err)
	_, err = remote.InBatch[testsvc.Calculator](b, testsvc.NewCalc())
	fmt.Println(err != nil)
	// Output:
	// <nil>
	// true
}

package stub_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
	"github.com/objrmi/objrmi/stub"
)

// adderAsync is the async form of adderStub, written by hand here as
// objstub generates it (AsyncAdder): each method calls InvokeAsync.
type adderAsync struct{ *stub.Stub }

func (s adderAsync) Add(ctx context.Context, a, b int64) *stub.Future[int64] {
	return stub.InvokeAsync[int64](ctx, s.Stub, 0, []any{a, b}, nil)
}

// dialAdder serves an adder and dials it, for the examples.
func dialAdder() (Adder, func()) {
	stub.Register[Adder](func(s *stub.Stub) Adder { return adderStub{s} })
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	_, _ = remote.Export[Adder](server, adder{}, remote.WithID(7))
	client, _ := remote.NewRuntime(remote.Options{})
	a, err := remote.Dial[Adder](context.Background(), client, server.Endpoint(), 7)
	if err != nil {
		panic(err)
	}
	return a, func() { client.Close(); server.Close() }
}

// InvokeAsync writes the call and returns its future at once; generated
// XxxAsync methods are made of it.
func ExampleInvokeAsync() {
	a, done := dialAdder()
	defer done()
	ctx := context.Background()
	f := adderAsync{a.(adderStub).Stub}.Add(ctx, 2, 3)
	sum, err := f.Await(ctx)
	fmt.Println(sum, err)
	// Output: 5 <nil>
}

// Many calls in flight at once, awaited together: no goroutine each.
func ExampleFuture() {
	a, done := dialAdder()
	defer done()
	ctx := context.Background()
	async := adderAsync{a.(adderStub).Stub}
	var fs []*stub.Future[int64]
	for i := range 5 {
		fs = append(fs, async.Add(ctx, int64(i), 10))
	}
	sums, err := remote.AwaitAll(ctx, fs...)
	fmt.Println(sums, err)
	// Output: [10 11 12 13 14] <nil>
}

// Await's context bounds the wait, not the call: the call goes on.
func ExampleFuture_Await() {
	ctx := context.Background()
	f := stub.Go(ctx, func(ctx context.Context) (string, error) {
		time.Sleep(50 * time.Millisecond)
		return "done", nil
	})
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, err := f.Await(short)
	fmt.Println(errors.Is(err, objerr.ErrDeadline), errors.Is(err, objerr.ErrOutcomeUnknown))
	v, err := f.Await(ctx)
	fmt.Println(v, err)
	// Output:
	// true true
	// done <nil>
}

// Done is for a select: the first of several calls to end, or a timer.
func ExampleFuture_Done() {
	a, done := dialAdder()
	defer done()
	ctx := context.Background()
	f := adderAsync{a.(adderStub).Stub}.Add(ctx, 20, 22)
	select {
	case <-f.Done():
		sum, _ := f.Await(ctx) // at once
		fmt.Println(sum)
	case <-time.After(10 * time.Second):
		fmt.Println("too slow")
	}
	// Output: 42
}

// Cancel gives up on a call: the method's context ends on the server,
// and the future fails at once.
func ExampleFuture_Cancel() {
	ctx := context.Background()
	started := make(chan struct{})
	f := stub.Go(ctx, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-started
	f.Cancel()
	_, err := f.Await(ctx)
	fmt.Println(errors.Is(err, objerr.ErrCanceled))
	// Output: true
}

// Go gives the future of any function: the async form of a local
// object's method, or of a chain of calls.
func ExampleGo() {
	ctx := context.Background()
	f := stub.Go(ctx, func(ctx context.Context) (int64, error) {
		return adder{}.Add(ctx, 40, 2)
	})
	sum, err := f.Await(ctx)
	fmt.Println(sum, err)
	// Output: 42 <nil>
}

// A batch's calls leave together when it is sent, and come back
// together: one round trip.
func ExampleBatch() {
	a, done := dialAdder()
	defer done()
	ctx := context.Background()
	b := remote.NewBatch()
	inBatch, _ := remote.InBatch(b, a)
	async := adderAsync{inBatch.(adderStub).Stub}
	one, two := async.Add(ctx, 1, 0), async.Add(ctx, 2, 0)
	fmt.Println(b.Len(), "calls")
	if err := b.Send(ctx); err != nil {
		fmt.Println(err)
		return
	}
	sums, err := remote.AwaitAll(ctx, one, two)
	fmt.Println(sums, err)
	// Output:
	// 2 calls
	// [1 2] <nil>
}

package stub_test

import (
	"context"
	"fmt"
	"iter"

	"github.com/objrmi/objrmi/remote"
	"github.com/objrmi/objrmi/stub"
)

// Counter streams its results: its one result besides error is an
// iter.Seq2[T, error].
type Counter interface {
	Count(ctx context.Context, n int64) (iter.Seq2[int64, error], error)
}

type counterStub struct{ *stub.Stub }

// Count forwards to Invoke like any method; Invoke stores the stream's
// iterator in the result.
func (s counterStub) Count(ctx context.Context, n int64) (iter.Seq2[int64, error], error) {
	var items iter.Seq2[int64, error]
	err := s.Invoke(ctx, 0, []any{n}, []any{&items})
	return items, err
}

type counter struct{}

func (counter) Count(_ context.Context, n int64) (iter.Seq2[int64, error], error) {
	return func(yield func(int64, error) bool) {
		for i := range n {
			if !yield(i, nil) {
				return
			}
		}
	}, nil
}

// Invoke of a method that streams returns once the method has returned
// its iterator; the items flow while the caller ranges over the
// single-use iterator it stored.
func ExampleStub_Invoke_stream() {
	stub.Register[Counter](func(s *stub.Stub) Counter { return counterStub{s} })

	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[Counter](server, counter{}, remote.WithID(8))
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()

	ctx := context.Background()
	c, err := remote.Dial[Counter](ctx, client, server.Endpoint(), 8)
	if err != nil {
		fmt.Println(err)
		return
	}
	items, err := c.Count(ctx, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for n, err := range items {
		fmt.Println(n, err)
	}
	// Output:
	// 0 <nil>
	// 1 <nil>
	// 2 <nil>
}

package remote_test

import (
	"context"
	"fmt"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// A method whose result is an iter.Seq2[T, error] streams it: the
// server's iterator runs as the client's loop takes items, at most a
// window ahead. Breaking out of the loop stops the server's iterator
// (its context ends with objerr.ErrCallerCanceled).
func Example_stream() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[testsvc.Feed](server, testsvc.NewFeed(), remote.WithID(101))

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	feed, _ := remote.Dial[testsvc.Feed](ctx, client, server.Endpoint(), 101)

	// Numbers(ctx, -1, 0) never ends on its own.
	items, err := feed.Numbers(ctx, -1, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for item, err := range items {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(item.N)
		if item.N == 2 {
			break
		}
	}
	// Output:
	// 0
	// 1
	// 2
}

// WithStreamWindow sets how far ahead of the loop a stream runs: here
// 4 items, or about 64 KiB once the items' size is known.
func ExampleWithStreamWindow() {
	ctx := context.Background()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	_, _ = remote.Export[testsvc.Feed](server, testsvc.NewFeed(), remote.WithID(101))

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	feed, _ := remote.Dial[testsvc.Feed](ctx, client, server.Endpoint(), 101)

	items, err := feed.Numbers(remote.WithStreamWindow(ctx, 4, 64<<10), 10, 1024)
	if err != nil {
		fmt.Println(err)
		return
	}
	total := 0
	for item, err := range items {
		if err != nil {
			fmt.Println(err)
			return
		}
		total += len(item.Pad)
	}
	fmt.Println(total)
	// Output: 10240
}

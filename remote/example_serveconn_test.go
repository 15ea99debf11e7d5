package remote_test

import (
	"context"
	"fmt"
	"net"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// A runtime serves a connection it did not accept: here one end of an
// in-memory pipe, which the client's Options.Dial hands out.
func ExampleRuntime_ServeConn() {
	server, _ := remote.NewRuntime(remote.Options{})
	defer server.Close()
	_, _ = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(7))

	client, _ := remote.NewRuntime(remote.Options{
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, s := net.Pipe()
			if err := server.ServeConn(s); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		},
	})
	defer client.Close()

	ctx := context.Background()
	calc, err := remote.Dial[testsvc.Calculator](ctx, client, "in-memory:1", 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	sum, err := calc.Add(ctx, 2, 3)
	fmt.Println(sum, err)
	// Output: 5 <nil>
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

type calculator struct{}

func (calculator) Add(_ context.Context, a, b int64) (int64, error) { return a + b, nil }

func (calculator) NewCounter(_ context.Context, start int64) (Counter, error) {
	c := &counter{}
	c.n.Store(start)
	return c, nil
}

func (calculator) Watch(ctx context.Context, l Listener, n int) error {
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("event %d of %d from server pid %d", i, n, os.Getpid())
		if err := l.Notify(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

type counter struct{ n atomic.Int64 }

func (c *counter) Incr(_ context.Context, by int64) (int64, error) { return c.n.Add(by), nil }

// serve runs the server process: it starts a registry inside its own
// runtime, binds its Calculator there, prints the registry's URL on
// stdout and serves until its stdin closes, so it never outlives the
// parent.
func serve() error {
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer rt.Close()
	reg, err := registry.Serve(rt, registry.Options{}) // the embedded registry
	if err != nil {
		return err
	}
	defer reg.Close()
	ref, err := remote.Export[Calculator](rt, calculator{})
	if err != nil {
		return err
	}
	if err := reg.Bind(context.Background(), "calc", ref); err != nil {
		return err
	}
	fmt.Printf("%s %s\n", reg.URL(), rt.ID())
	io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	return nil
}

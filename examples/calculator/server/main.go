// Command server exports a Calculator and serves it until interrupted.
//
//	go run ./examples/calculator/server -listen 127.0.0.1:7099
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/objrmi/objrmi/examples/calculator/api"
	"github.com/objrmi/objrmi/remote"
)

type calculator struct{}

func (calculator) Add(_ context.Context, a, b int64) (int64, error) { return a + b, nil }

func (calculator) Div(_ context.Context, a, b int64) (int64, error) {
	if b == 0 {
		return 0, api.ErrDivByZero
	}
	return a / b, nil
}

func (calculator) Countdown(ctx context.Context, n int, l api.Listener) error {
	for i := n; i > 0; i-- {
		if err := l.Tick(ctx, i); err != nil {
			return fmt.Errorf("tick %d: %w", i, err)
		}
	}
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:7099", "address to listen on")
	flag.Parse()
	if err := run(*listen); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(listen string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rt, err := remote.NewRuntime(remote.Options{Listen: listen, Logger: log})
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := rt.RegisterError(api.DivByZeroCode, api.ErrDivByZero); err != nil {
		return err
	}
	if _, err := remote.Export[api.Calculator](rt, calculator{}, remote.WithID(api.ObjectID)); err != nil {
		return err
	}
	// The client and the tests read this line to find the server.
	fmt.Printf("calculator listening on %s\n", rt.Endpoint())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Println("calculator shutting down")
	return nil
}

// Command server exports a Calculator, binds it in a standalone registry
// (cmd/objregistry), and serves it until interrupted, when it unbinds it.
//
//	examples/calculator/run.sh   # builds and runs registry, server and client, then stops them
//
// or, built with go build -o bin/ and run by hand, each in its own terminal:
//
//	bin/objregistry serve
//	bin/server -registry objrmi://127.0.0.1:1099
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/objrmi/objrmi/examples/calculator/api"
	"github.com/objrmi/objrmi/registry"
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
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	reg := flag.String("registry", "objrmi://127.0.0.1:1099", "URL of the registry to bind in")
	flag.Parse()
	if err := run(*listen, *reg); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(listen, url string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rt, err := remote.NewRuntime(remote.Options{Listen: listen, Logger: log})
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := rt.RegisterError(api.DivByZeroCode, api.ErrDivByZero); err != nil {
		return err
	}
	ref, err := remote.Export[api.Calculator](rt, calculator{})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, err := registry.Dial(ctx, rt, url)
	if err != nil {
		return err
	}
	// Rebind, not Bind: a server restarted before its old binding was
	// dropped takes the name back.
	if err := reg.Rebind(ctx, api.Name, ref); err != nil {
		return err
	}
	// The tests read this line to know the server is bound.
	fmt.Printf("calculator bound as %s/%s\n", reg.URL(), api.Name)

	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-sig.Done()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := reg.Unbind(ctx, api.Name); err != nil {
		log.Warn("unbinding", "err", err)
	}
	fmt.Println("calculator shutting down")
	return nil
}

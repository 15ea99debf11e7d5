// Command client looks up the calculator in the registry, calls it, shows
// how errors cross the wire, and receives callbacks without listening on
// any port.
//
//	go run ./examples/calculator/client -url objrmi://127.0.0.1:1099/calculator
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/objrmi/objrmi/examples/calculator/api"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// printer is a client-side object the server calls back.
type printer struct{}

func (printer) Tick(_ context.Context, n int) error {
	fmt.Printf("callback: tick %d\n", n)
	return nil
}

func main() {
	url := flag.String("url", "objrmi://127.0.0.1:1099/"+api.Name, "where the calculator is bound")
	flag.Parse()
	if err := run(*url); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

func run(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// No Listen address: this runtime opens connections but accepts none.
	rt, err := remote.NewRuntime(remote.Options{})
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := rt.RegisterError(api.DivByZeroCode, api.ErrDivByZero); err != nil {
		return err
	}

	calc, err := registry.Lookup[api.Calculator](ctx, rt, url)
	if err != nil {
		return err
	}
	sum, err := calc.Add(ctx, 2, 3)
	if err != nil {
		return err
	}
	fmt.Printf("Add(2, 3) = %d\n", sum)

	_, err = calc.Div(ctx, 1, 0)
	switch {
	case errors.Is(err, api.ErrDivByZero):
		fmt.Printf("Div(1, 0) failed as expected: remote=%v, errors.Is(ErrDivByZero)=true\n", errors.Is(err, objerr.ErrRemote))
	default:
		return fmt.Errorf("Div(1, 0): want ErrDivByZero, got %v", err)
	}

	if err := calc.Countdown(ctx, 3, printer{}); err != nil {
		return err
	}
	fmt.Println("countdown done")
	return nil
}

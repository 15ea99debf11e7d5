package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// errNotServing fails the health command when the answer was "not
// serving": exit status 1, like a runtime that cannot be asked.
var errNotServing = errors.New("not serving")

// health asks a runtime's health object (remote.HealthID) and prints its
// answer: SERVING exits 0, anything else 1.
func health(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	timeout := durationFlag(fs, "timeout", 5*time.Second, "give up after this `duration`")
	service := fs.String("service", "", "the `name` of a service the program set with Runtime.SetHealth; empty: the runtime itself")
	tlsConfig := tlsFlags(fs)
	pos, err := parse(fs, args, 1, "one URL, objrmi://host:port")
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return fmt.Errorf("--timeout %s: must be positive: %w", *timeout, errUsage)
	}
	u, err := registry.ParseURL(pos[0])
	if err != nil {
		return fmt.Errorf("%w: %w", err, errUsage)
	}
	if u.Name != "" {
		return fmt.Errorf("%q names an object: health asks a runtime, objrmi://host:port: %w", pos[0], errUsage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rt, err := clientRuntime(tlsConfig, *timeout)
	if err != nil {
		return err
	}
	defer rt.Close()
	h := remote.Dynamic(rt, remote.WellKnown(endpointOf(u), remote.HealthID, "Health"))
	defer h.Release()
	out, err := h.Call(ctx, "Check", *service)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("no answer from %s within %s (--timeout): %w", u.Endpoint(), *timeout, err)
		}
		return err
	}
	status := fmt.Sprint(out...)
	fmt.Fprintln(stdout, status)
	if status != string(remote.Serving) {
		return errNotServing
	}
	return nil
}

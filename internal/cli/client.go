package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// connect parses the one argument, a registry URL with or without a name
// as the command wants, and dials the registry with a client-only runtime.
// do says what it waits for in its step, for the error if the timeout
// passes first.
func connect(fs *flag.FlagSet, args []string, named bool, do func(ctx context.Context, rt *remote.Runtime, c *registry.Client, name string, step *string) error) error {
	timeout := durationFlag(fs, "timeout", 10*time.Second, "give up after this `duration`")
	tlsConfig := tlsFlags(fs)
	what := "one URL"
	if named {
		what = "one URL/NAME"
	}
	pos, err := parse(fs, args, 1, what)
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
	if named && u.Name == "" {
		return fmt.Errorf("%q names no binding: want objrmi://host:port/NAME: %w", pos[0], errUsage)
	}
	if !named && u.Name != "" {
		return fmt.Errorf("%q: want the registry's URL, objrmi://host:port, without a name: %w", pos[0], errUsage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rt, err := clientRuntime(tlsConfig, *timeout)
	if err != nil {
		return err
	}
	defer rt.Close()
	step := "the registry " + u.Registry().String() + " to answer the connection's handshake"
	c, err := registry.Dial(ctx, rt, u.Registry().String())
	if errors.Is(err, syscall.ECONNREFUSED) {
		return &hinted{err: err, msg: fmt.Sprintf("nothing listens at %s (connection refused): start a registry there (objregistry serve), or check the host and port",
			u.Registry())}
	}
	if err == nil {
		err = do(ctx, rt, c, u.Name, &step)
	}
	if err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, objerr.ErrDeadline) ||
		errors.Is(err, os.ErrDeadlineExceeded)) { // the socket's deadline, in the handshake
		return &hinted{err: err, msg: fmt.Sprintf("timed out after %s waiting for %s: check that an objrmi runtime serves at that address, up and not overloaded, or give a longer --timeout",
			*timeout, step)}
	}
	return err
}

// hinted is an error the command rewords for its user: what it was
// doing, and what to try, instead of a bare "deadline exceeded" or
// "connection refused" at the end of a chain. The cause stays for
// errors.Is.
type hinted struct {
	msg string
	err error
}

func (e *hinted) Error() string { return e.msg }
func (e *hinted) Unwrap() error { return e.err }

func list(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	long := fs.Bool("long", false, "also print each binding's interface, endpoint and object")
	return connect(fs, args, false, func(ctx context.Context, _ *remote.Runtime, c *registry.Client, _ string, step *string) error {
		*step = c.URL() + " to list its names"
		names, err := c.List(ctx)
		if err != nil {
			return err
		}
		if !*long {
			for _, n := range names {
				fmt.Fprintln(stdout, n)
			}
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tINTERFACE\tENDPOINT\tOBJECT")
		for _, n := range names {
			*step = fmt.Sprintf("%s to look up %q", c.URL(), n)
			ref, err := c.Lookup(ctx, n)
			if err != nil {
				fmt.Fprintf(tw, "%s\t(gone: %v)\t\t\n", n, err)
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", n, ref.Iface, ref.Endpoint, ref.Object)
		}
		return tw.Flush()
	})
}

func lookup(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	return connect(fs, args, true, func(ctx context.Context, rt *remote.Runtime, c *registry.Client, name string, step *string) error {
		*step = fmt.Sprintf("%s to look up %q", c.URL(), name)
		ref, err := c.Lookup(ctx, name)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "name:\t%s\n", name)
		fmt.Fprintf(tw, "interface:\t%s\n", ref.Iface)
		fmt.Fprintf(tw, "endpoint:\t%s\n", ref.Endpoint)
		fmt.Fprintf(tw, "runtime:\t%s\n", ref.Runtime)
		fmt.Fprintf(tw, "object:\t%d\n", ref.Object)
		*step = fmt.Sprintf("the owner of %q, runtime %s at %s, to list the lease holders", name, ref.Runtime, ref.Endpoint)
		obj, err := rt.Holders(ctx, ref)
		if errors.Is(err, objerr.ErrAccessDenied) {
			// The owner's own choice (its Options.Authorize), not a failure.
			fmt.Fprintf(tw, "holders:\tnot disclosed by the owner\n")
			return tw.Flush()
		}
		if err != nil {
			tw.Flush()
			return fmt.Errorf("asking the owner for the lease holders: %w", err)
		}
		fmt.Fprintf(tw, "holders:\t%d\n", len(obj.Holders))
		if obj.InTransit > 0 {
			fmt.Fprintf(tw, "in transit:\t%d\n", obj.InTransit)
		}
		tw.Flush()
		now := time.Now()
		for _, h := range obj.Holders {
			fmt.Fprintf(stdout, "  %s  lease expires in %s\n", h.Runtime, h.Expires.Sub(now).Round(100*time.Millisecond))
		}
		return nil
	})
}

func unbind(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	return connect(fs, args, true, func(ctx context.Context, _ *remote.Runtime, c *registry.Client, name string, step *string) error {
		*step = fmt.Sprintf("%s to unbind %q", c.URL(), name)
		if err := c.Unbind(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "unbound %s\n", name)
		return nil
	})
}

// clientRuntime is a command's own runtime: no listener, TLS as the
// command's flags say, and the whole --timeout for dials and handshakes
// (not the default 10 s).
func clientRuntime(tlsConfig func(serving bool) (*tls.Config, error), timeout time.Duration) (*remote.Runtime, error) {
	tc, err := tlsConfig(false)
	if err != nil {
		return nil, err
	}
	return remote.NewRuntime(remote.Options{TLS: tc, HandshakeTimeout: timeout, DialTimeout: timeout})
}

// endpointOf is u's endpoint as remote.Dial and remote.WellKnown take it.
func endpointOf(u registry.URL) string {
	if u.TLS {
		return "tls:" + u.Endpoint()
	}
	return u.Endpoint()
}

// Package cli is the objregistry command: it runs objrmi's naming
// registry on its own, and inspects and changes a running one. It lives
// here, not in cmd/objregistry, so that a command in another module of
// the repository (the etcd one: etcdstore/cmd/objregistry) can be the
// same command with one more store scheme, without the core module
// importing that store.
//
//	objregistry serve  [flags]        run a registry until SIGINT or SIGTERM
//	objregistry list   [flags] URL    the names bound in a registry
//	objregistry lookup [flags] URL/NAME  where a name points, and who holds it
//	objregistry unbind [flags] URL/NAME  remove a binding
//
// URLs are objrmi://host[:port], the port defaulting to 1099. Every
// command takes --help. Errors are one line on stderr, with exit status 1
// (2 for a usage error).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/objrmi/objrmi/registry"
)

// Scheme opens the stores of one more kind for "serve --store".
type Scheme struct {
	// Prefix is how the store's spec starts, such as "etcd://".
	Prefix string
	// Usage shows the spec's form in help texts.
	Usage string
	// Open opens the store the whole spec names. ctx ends when the
	// registry is asked to stop.
	Open func(ctx context.Context, spec string, log *slog.Logger) (registry.Store, error)
}

const usage = `objregistry: objrmi's naming registry.

usage:
  objregistry serve  [--listen ADDR] [--store memory|file:PATH] [--log-level LEVEL] [--lease D]
                     [--metrics ADDR] [--debug ADDR]
  objregistry list   [--long] [--timeout D] URL
  objregistry lookup [--timeout D] URL/NAME
  objregistry unbind [--timeout D] URL/NAME
  objregistry describe [--timeout D] URL
  objregistry call   [--timeout D] [--meta K=V] URL METHOD [ARG...]
  objregistry health [--timeout D] [--service NAME] URL
  objregistry help   [COMMAND]

URLs are objrmi://host[:port][/name]; the port defaults to 1099; objrmi://host:port#ID
names the object at a well-known id, without a registry.
Flags may come before or after the URL. Durations take a unit: 5s, 500ms.
Run "objregistry COMMAND --help" for a command's flags.
`

// errUsage marks an error that is the user's command line, not the world.
var errUsage = errors.New("usage")

type command struct {
	name, args, summary string
	run                 func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error
}

// Run is the objregistry command, with schemes as more kinds of store
// for serve: it returns the exit status.
func Run(args []string, stdout, stderr io.Writer, schemes ...Scheme) int {
	serveWith := func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
		return serve(fs, args, stdout, stderr, schemes)
	}
	commands := []command{
		{"serve", "", "run a registry until SIGINT or SIGTERM", serveWith},
		{"list", "URL", "print the names bound in the registry at URL", list},
		{"lookup", "URL/NAME", "print the reference bound to NAME, and the lease holders its owner reports", lookup},
		{"unbind", "URL/NAME", "remove the binding of NAME", unbind},
	}
	commands = append(commands, callCommands...) // call.go
	usage := usage
	for _, sc := range schemes {
		usage = strings.Replace(usage, "memory|file:PATH", "memory|file:PATH|"+sc.Usage, 1)
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, usage)
			return 0
		}
		name, rest = rest[0], []string{"--help"}
	}
	for _, c := range commands {
		if c.name == name {
			return runCommand(c, rest, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "objregistry: unknown command %q (commands: serve, list, lookup, unbind, describe, call, health, help)\n", name)
	return 2
}

func runCommand(c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("objregistry "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are one line, printed below
	fs.Usage = func() {}
	err := c.run(fs, args, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stdout, "usage: objregistry %s [flags] %s\n\n%s.\n", c.name, c.args, c.summary)
		if hasFlags(fs) {
			fmt.Fprintln(stdout, "\nflags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "objregistry %s: %s (see objregistry %s --help)\n", c.name,
			strings.TrimSuffix(err.Error(), ": "+errUsage.Error()), c.name)
		return 2
	}
	fmt.Fprintf(stderr, "objregistry %s: %v\n", c.name, err)
	return 1
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parse parses flags and returns the arguments, exactly nargs. Flags may come
// before or after the arguments, as in most CLIs ("list URL --long");
// after "--" everything is an argument.
func parse(fs *flag.FlagSet, args []string, nargs int, what string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%v: %w", err, errUsage)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if used := args[:len(args)-len(rest)]; len(used) > 0 && used[len(used)-1] == "--" {
			pos = append(pos, rest...) // Parse stopped at "--"
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) != nargs {
		if nargs == 0 {
			return nil, fmt.Errorf("unexpected argument %q: %w", pos[0], errUsage)
		}
		return nil, fmt.Errorf("want %s, got %d arguments: %w", what, len(pos), errUsage)
	}
	return pos, nil
}

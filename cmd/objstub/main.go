// Command objstub generates the client shells of objrmi remote interfaces.
//
// Go cannot create a type with methods at run time, so each remote
// interface needs a small generated type that implements it by forwarding
// every call to stub.Stub.Invoke. objstub writes that type, and an init
// function that registers it with stub.Register, from the interface's
// declaration. Add it to your module as a tool
// (go get -tool github.com/objrmi/objrmi/cmd/objstub), put a directive next
// to the interfaces:
//
//	//go:generate go tool objstub -type Calculator,Counter
//
// and run go generate. Flags:
//
//	-type T1,T2  the interfaces to generate shells for (required)
//	-output FILE the file to write (default <lowercase T1>_objstub.go in -dir)
//	-dir DIR     the package directory to read (default ".")
//	-async=false leave out the async companions
//
// Next to each interface Xxx's shell, objstub writes its async companion:
// an interface XxxAsync with the same methods, each returning a
// *stub.Future (remote.Future) of its results instead of waiting for
// them, and AsyncXxx(Xxx) XxxAsync, which gives the async form of a
// stub (or, through a goroutine per call, of a local object). A method
// with several results gets a struct of them, XxxMethodResult.
//
// objstub type-checks the package (its dependencies come from go list
// -export, so the go command must be on PATH, as it is under go generate)
// and refuses every interface that remote.Export would refuse, with the
// same message: the method, the rule it breaks, and the fix. Parameters
// and results are copied into the shell as written in the source.
// The output is gofmt'ed and depends only on the source, so it can be
// checked in and verified with go generate && git diff --exit-code.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: objstub -type T1[,T2...] [-output FILE] [-dir DIR]

objstub generates the objrmi client shells of the named remote interfaces.
Add it to your module as a tool, once:

	go get -tool github.com/objrmi/objrmi/cmd/objstub

and use it from a go:generate directive in the package that declares them:

	//go:generate go tool objstub -type Calculator

Flags:
`

// run is main without the process: tests call it in-process.
func run(args []string, stdout, stderr io.Writer) int {
	if err := runErr(args, stdout); err != nil {
		fmt.Fprintf(stderr, "objstub: %v\n", err)
		return 1
	}
	return 0
}

func runErr(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("objstub", flag.ContinueOnError)
	// The flag package would print its own error and the whole usage on a
	// bad flag; errors here are one line, so it stays quiet.
	fs.SetOutput(io.Discard)
	typeFlag := fs.String("type", "", "comma-separated `names` of the interfaces (required)")
	output := fs.String("output", "", "output `file` (default <lowercase first type>_objstub.go in -dir)")
	dir := fs.String("dir", ".", "package `directory` to read")
	async := fs.Bool("async", true, "also generate each interface's async companion (XxxAsync, AsyncXxx)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return fmt.Errorf("%v (see objstub -help)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (see objstub -help)", fs.Args())
	}
	types, err := splitTypes(*typeFlag)
	if err != nil {
		return err
	}
	src, err := generateAsync(*dir, types, *async)
	if err != nil {
		return err
	}
	out := *output
	if out == "" {
		out = filepath.Join(*dir, strings.ToLower(types[0])+"_objstub.go")
	}
	return os.WriteFile(out, src, 0o644)
}

// splitTypes parses -type, tolerating spaces and a trailing comma.
func splitTypes(s string) ([]string, error) {
	var types []string
	seen := map[string]bool{}
	for t := range strings.SplitSeq(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if seen[t] {
			return nil, fmt.Errorf("-type lists %s twice", t)
		}
		seen[t] = true
		types = append(types, t)
	}
	if len(types) == 0 {
		return nil, errors.New("-type is required: name the interfaces, e.g. -type Calculator,Counter")
	}
	return types, nil
}

// Command bench puts objrmi side by side with a raw TCP floor, net/rpc,
// grpc-go, storj/drpc and Java RMI (in JVMs, compiled with javac at the
// start of the run), on the same three workloads, and prints one table of
// medians with each system's ratio to the floor, plus JSON lines for
// machines. Without a JDK, the Java RMI row says it was skipped and why.
//
//	cd bench && go run .        # or: make bench; QUICK=1 for a short run
//	cd bench && go run . scale  # 1,000 client runtimes against one server
//
// Every cell runs a fresh server in its own OS process and a client in
// another, over loopback. The sequential workloads (W1, W3) pin both to
// one CPU with taskset, since on a small machine a wake-up across CPUs
// costs more than the code under test; W2 is not pinned. Systems run
// interleaved, round after round, and the table shows medians.
//
// It is its own module, so that grpc-go never enters objrmi's dependency
// graph.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	args := os.Args[1:]
	mode := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	var err error
	switch mode {
	case "run":
		err = run(args)
	case "serve":
		err = serveChild(args)
	case "client":
		err = clientChild(args)
	case "scale":
		err = scale(args)
	case "scale-client":
		err = scaleClient(args)
	default:
		err = fmt.Errorf("unknown mode %q: want run or scale (serve, client and scale-client are the child processes)", mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench %s: %v\n", mode, err)
		os.Exit(1)
	}
}

// workloadEnv tells a server child which workload it serves, for the
// name of its profile.
const workloadEnv = "BENCH_WORKLOAD"

// serveChild is a server process: it prints "ADDR host:port", answers
// "stats" lines with its Go memory statistics, and exits when its stdin
// closes, so it never outlives the parent.
func serveChild(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	name := fs.String("system", "", "system to serve")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sys, err := systemNamed(*name)
	if err != nil {
		return err
	}
	if sys.ext != nil {
		return fmt.Errorf("%s is served by its own program, not by this one", sys.name)
	}
	endProfile, err := startProfile("server", sys.name, os.Getenv(workloadEnv))
	if err != nil {
		return err
	}
	defer endProfile()
	addr, stop, err := sys.serve()
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("ADDR %s\n", addr)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "stats":
			if err := json.NewEncoder(os.Stdout).Encode(memStats(liveConns)); err != nil {
				return err
			}
		case "holders": // the scale run's
			fmt.Printf("HOLDERS %d\n", benchHolders())
		}
	}
	return nil
}

// clientChild is a client process: it runs one workload against one
// server and prints the result as one JSON line.
func clientChild(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	name := fs.String("system", "", "system to call")
	addr := fs.String("addr", "", "server address")
	pid := fs.Int("server-pid", 0, "server process, for its CPU time")
	wname := fs.String("workload", "", "workload to run")
	quick := fs.Bool("quick", false, "QUICK sizes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sys, err := systemNamed(*name)
	if err != nil {
		return err
	}
	w, err := workloadNamed(*wname)
	if err != nil {
		return err
	}
	sz := fullSizes
	if *quick {
		sz = quickSizes
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	m := &meter{server: *pid}
	if sys.ext != nil {
		r, err := sys.ext.run(ctx, *addr, w, sz, m)
		if err != nil {
			return fmt.Errorf("%s %s: %w", sys.name, w.name, err)
		}
		return json.NewEncoder(os.Stdout).Encode(r)
	}
	cl, err := sys.dial(ctx, *addr, w.callers)
	if err != nil {
		return fmt.Errorf("dial %s: %w", sys.name, err)
	}
	defer cl.Close()
	endProfile, err := startProfile("client", sys.name, w.name)
	if err != nil {
		return err
	}
	defer endProfile()
	r, err := w.run(ctx, cl, sz, m)
	if err != nil {
		return fmt.Errorf("%s %s: %w", sys.name, w.name, err)
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// readLine reads one line that starts with prefix from a child.
func readLine(r *bufio.Reader, prefix string) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
	if !ok {
		return "", fmt.Errorf("child said %q, want %q...", line, prefix)
	}
	return strings.TrimSpace(rest), nil
}

// Command quickstart shows objrmi end to end in one command. It starts a
// second copy of itself as a separate OS process (the server, which binds
// its Calculator in a registry embedded in its runtime), then, as the
// client, looks the Calculator up by URL, calls it, gets a Counter back by
// reference, and passes its own Listener for the server to call back,
// over the client's connection (the client listens on no port). It prints
// each step and exits 0.
//
//	go run ./examples/quickstart
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

const roleEnv = "OBJRMI_QUICKSTART_ROLE"

func main() {
	run := client
	if os.Getenv(roleEnv) == "server" {
		run = serve
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

type listener struct{}

func (listener) Notify(_ context.Context, msg string) error {
	fmt.Printf("  client pid %d got callback: %s\n", os.Getpid(), msg)
	return nil
}

func client() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	url, stop, err := startServer()
	if err != nil {
		return err
	}
	defer stop()

	rt, err := remote.NewRuntime(remote.Options{}) // no listener
	if err != nil {
		return err
	}
	defer rt.Close()
	fmt.Printf("client: pid %d, runtime %s, no listener\n", os.Getpid(), rt.ID())

	calc, err := registry.Lookup[Calculator](ctx, rt, url+"/calc")
	if err != nil {
		return err
	}
	fmt.Printf("0. Lookup %s/calc: a typed stub from the server's embedded registry\n", url)
	sum, err := calc.Add(ctx, 2, 3)
	if err != nil {
		return err
	}
	fmt.Printf("1. Add(2, 3) = %d (computed in the server process)\n", sum)

	counter, err := calc.NewCounter(ctx, 40)
	if err != nil {
		return err
	}
	ref, _ := remote.RefOf(counter)
	n, err := counter.Incr(ctx, 2)
	if err != nil {
		return err
	}
	fmt.Printf("2. NewCounter(40) returned a reference (%s); Incr(2) = %d\n", ref, n)

	fmt.Println("3. Watch: the server calls the client's Listener back:")
	if err := calc.Watch(ctx, listener{}, 3); err != nil {
		return err
	}
	fmt.Println("done: two processes, one connection, calls in both directions")
	return nil
}

// startServer runs this program again as the server and reads the URL
// of the registry it prints.
func startServer() (url string, stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), roleEnv+"=server")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		stdin.Close() // the server exits when its stdin closes
		cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("server did not start: %w", err)
	}
	fields := strings.Fields(line)
	if len(fields) != 2 {
		stop()
		return "", nil, fmt.Errorf("server said %q", line)
	}
	fmt.Printf("server: pid %d, runtime %s, registry at %s\n", cmd.Process.Pid, fields[1], fields[0])
	return fields[0], stop, nil
}

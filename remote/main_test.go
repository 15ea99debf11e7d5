package remote_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// The environment that turns the test binary into a child process.
const (
	childEnv         = "OBJRMI_TEST_CHILD"    // "server", "hostile-server" or "client"
	childActEnv      = "OBJRMI_TEST_ACT"      // what a client does: hold, wait, relay
	childEndpointEnv = "OBJRMI_TEST_ENDPOINT" // the Calc a client dials
	childTargetEnv   = "OBJRMI_TEST_TARGET"   // relay: the Calc the first one calls
)

// TestMain doubles as a server process for the multi-process tests, and
// checks that no test leaves a goroutine behind.
func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "server":
		childServer()
		return
	case "hostile-server":
		childHostileServer()
		return
	case "dgc-owner":
		childDGCOwner()
		return
	case "bulk-server":
		childBulkServer()
		return
	case "client":
		childClient(os.Getenv(childActEnv), os.Getenv(childEndpointEnv), os.Getenv(childTargetEnv))
		return
	case "feed-server":
		childFeedServer()
		return
	case "stream-client":
		childStreamClient(os.Getenv(childActEnv), os.Getenv(childEndpointEnv))
		return
	}
	goleak.VerifyTestMain(m)
}

// childServer exports a Calc, prints its endpoint, announces each Wait
// call on stdout, and runs until it is killed.
func childServer() {
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	impl := testsvc.NewCalc()
	if _, err := remote.Export[testsvc.Calculator](rt, impl, remote.WithID(calcID)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(rt.Endpoint())
	for range impl.Started {
		fmt.Println("started")
	}
}

// held keeps the child client's stub reachable until the process dies.
var held any

// childClient dials the Calc at endpoint, does act, announces it on
// stdout, and runs until it is killed:
//   - hold: obtains a Counter and holds it;
//   - wait: calls Wait for a minute;
//   - relay: calls Relay, which makes the Calc at endpoint call Wait on
//     the Calc at target.
func childClient(act, endpoint, target string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child client:", err)
		os.Exit(2)
	}
	rt, err := remote.NewRuntime(remote.Options{})
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	calc, err := remote.Dial[testsvc.Calculator](ctx, rt, endpoint, calcID)
	if err != nil {
		fail(err)
	}
	switch act {
	case "hold":
		k, err := calc.NewCounter(ctx, 42)
		if err != nil {
			fail(err)
		}
		held = k
		fmt.Println("holding")
		select {}
	case "wait":
		fmt.Println("calling")
		_, err = calc.Wait(ctx, time.Minute)
	case "relay":
		var next testsvc.Calculator
		if next, err = remote.Dial[testsvc.Calculator](ctx, rt, target, calcID); err != nil {
			fail(err)
		}
		fmt.Println("calling")
		_, err = calc.Relay(ctx, next, time.Minute)
	}
	fail(fmt.Errorf("%s returned before the kill: %v", act, err))
}

// childServe runs a child server process: a runtime with opts, logging
// to stderr, whose objects export adds; it prints the endpoint and runs
// until it is killed.
func childServe(opts remote.Options, export func(*remote.Runtime) error) {
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	rt, err := remote.NewRuntime(opts)
	if err == nil {
		err = export(rt)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(rt.Endpoint())
	select {}
}

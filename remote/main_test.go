package remote_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

const childEnv = "OBJRMI_TEST_CHILD"

// TestMain doubles as a server process for the multi-process tests, and
// checks that no test leaves a goroutine behind.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "server" {
		childServer()
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

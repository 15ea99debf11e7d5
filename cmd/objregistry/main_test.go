package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// The environment that turns the test binary into a server or a client.
const (
	childEnv = "OBJREGISTRY_TEST_CHILD" // "server" or "client"
	urlEnv   = "OBJREGISTRY_TEST_URL"   // server: the registry; client: the binding
	nameEnv  = "OBJREGISTRY_TEST_NAME"  // server: the name to bind
)

// lease is the servers' and the registry's lease in these tests.
const lease = time.Second

// bin is the objregistry binary the tests built.
var bin string

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "server":
		childServer(os.Getenv(urlEnv), os.Getenv(nameEnv))
		return
	case "client":
		childClient(os.Getenv(urlEnv))
		return
	}
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "objregistry-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "objregistry")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building objregistry: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "child:", err)
	os.Exit(2)
}

// childServer exports a Calc, binds it in the registry at url under
// name, prints its runtime id, and runs until it is killed.
//
// It discloses who holds its objects (the DGC's Inspect, for objregistry
// lookup) to tools on its own host.
func childServer(url, name string) {
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Lease: lease, Authorize: localInspect})
	if err != nil {
		fail(err)
	}
	ref, err := remote.Export[testsvc.Calculator](rt, testsvc.NewCalc())
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := registry.Dial(ctx, rt, url)
	if err != nil {
		fail(err)
	}
	if err := c.Bind(ctx, name, ref); err != nil {
		fail(err)
	}
	fmt.Println(rt.ID())
	select {}
}

// localInspect allows every call, and the DGC's Inspect from loopback
// only.
func localInspect(_ context.Context, c remote.Call) error {
	ap, err := netip.ParseAddrPort(c.Addr.String())
	if c.Method == "Inspect" && (err != nil || !ap.Addr().IsLoopback()) {
		return errors.New("holders are shown to local tools only")
	}
	return nil
}

// childClient looks up the Calculator at url, calls it and prints the sum.
func childClient(url string) {
	rt, err := remote.NewRuntime(remote.Options{})
	if err != nil {
		fail(err)
	}
	defer rt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calc, err := registry.Lookup[testsvc.Calculator](ctx, rt, url)
	if err != nil {
		fail(err)
	}
	sum, err := calc.Add(ctx, 2, 3)
	if err != nil {
		fail(err)
	}
	fmt.Println("sum", sum)
}

// daemon is a running objregistry serve.
type daemon struct {
	cmd  *exec.Cmd
	url  string
	logs *testutil.Buffer
}

// serveRegistry starts objregistry serve with args and reads the URL it
// prints.
func serveRegistry(t *testing.T, args ...string) *daemon {
	t.Helper()
	d := &daemon{logs: &testutil.Buffer{}}
	d.cmd = exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--lease", lease.String()}, args...)...)
	d.cmd.Stderr = io.MultiWriter(d.logs, os.Stderr)
	line, _ := testutil.Start(t, d.cmd)
	url, ok := strings.CutPrefix(line, "objregistry: serving ")
	require.True(t, ok, "first line %q", line)
	d.url = url
	return d
}

// startServer runs a server process that binds a Calc as name, and
// returns it with its runtime id.
func startServer(t *testing.T, url, name string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=server", urlEnv+"="+url, nameEnv+"="+name)
	id, _ := testutil.Start(t, cmd) // the server prints its id once bound
	return cmd, id
}

// runClient runs a client process against the binding at url.
func runClient(t *testing.T, url string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=client", urlEnv+"="+url)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "client: %s", out)
	return strings.TrimSpace(string(out))
}

// cli runs objregistry with args and returns its stdout, stderr and exit
// status.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return stdout.String(), stderr.String(), code
}

func newRuntime(t *testing.T) *remote.Runtime { return testutil.Runtime(t, remote.Options{}) }

func ctxT(t *testing.T) context.Context { return testutil.Ctx(t) }

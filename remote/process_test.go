package remote_test

import (
	"bufio"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// startChild runs this test binary as a server process (see TestMain) and
// returns the process and a reader over its stdout, positioned after the
// endpoint line.
func startChild(t *testing.T) (*exec.Cmd, string, *bufio.Reader) {
	return runChild(t, childEnv+"=server")
}

// runChild runs this test binary as a child process with env added, and
// returns it, its first line of output, and a reader over the rest. The
// child is killed when the test ends.
func runChild(t *testing.T, env ...string) (*exec.Cmd, string, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	line, r := testutil.Start(t, cmd)
	return cmd, line, r
}

// Killing the server (kill -9) in the middle of a call gives the caller
// "outcome unknown" at once, not a hang.
func TestServerKilledMidCall(t *testing.T) {
	cmd, endpoint, out := startChild(t)
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, endpoint, calcID)
	require.NoError(t, err)

	errc := make(chan error, 1)
	go func() {
		_, err := calc.Wait(ctxT(t), time.Minute)
		errc <- err
	}()
	line, err := out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "started\n", line, "the method is running in the child")

	killed := time.Now()
	require.NoError(t, cmd.Process.Kill())
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
		assert.ErrorIs(t, err, objerr.ErrConnection)
		t.Logf("call failed %v after kill -9: %v", time.Since(killed), err)
	case <-time.After(20 * time.Second):
		t.Fatal("the call hung after the server was killed")
	}

	// The next call fails fast and says the call was never sent.
	_, err = calc.Add(ctxT(t), 1, 2)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
}

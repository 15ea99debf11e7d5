package remote_test

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// startClient runs this test binary as a client process (see TestMain)
// and waits until it announces that it did act.
func startClient(t *testing.T, act, endpoint, target string) *exec.Cmd {
	t.Helper()
	cmd, line, _ := runChild(t, childEnv+"=client", childActEnv+"="+act,
		childEndpointEnv+"="+endpoint, childTargetEnv+"="+target)
	require.NotEmpty(t, line)
	return cmd
}

// assertOrphaned checks what a method saw when its caller was killed.
func assertOrphaned(t *testing.T, what string, killed time.Time, seen testsvc.Seen, grace time.Duration) {
	t.Helper()
	took := time.Since(killed)
	assert.True(t, seen.Canceled)
	assert.Contains(t, seen.Cause, objerr.ErrOrphaned.Error())
	t.Logf("%s cancelled %v after kill -9 (grace %v): %s", what, took.Round(time.Millisecond), grace, seen.Cause)
	assert.Less(t, took, 5*grace)
}

// kill is kill -9, and the moment it happened.
func kill(t *testing.T, cmd *exec.Cmd) time.Time {
	t.Helper()
	require.NoError(t, cmd.Process.Kill())
	killed := time.Now()
	cmd.Wait()
	return killed
}

// A client holding a reference is killed with SIGKILL: it sends no clean,
// and the object is unreferenced once the client's lease lapses.
func TestKilledHolderIsUnreferencedAfterItsLease(t *testing.T) {
	const lease = 2 * time.Second
	srv, impl := dgcServer(t, lease)
	cmd := startClient(t, "hold", srv.Endpoint(), "")
	var ref remote.Ref
	require.Eventually(t, func() bool {
		for _, e := range srv.Inspect().Exports {
			if len(e.Holders) == 1 {
				ref = e.Ref
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond)

	killed := kill(t, cmd)
	assert.Equal(t, int64(42), unreferenced(t, impl, 5*lease))
	took := time.Since(killed)
	t.Logf("Unreferenced %v after kill -9 = %.2f × the %v lease (check interval %v)",
		took.Round(time.Millisecond), float64(took)/float64(lease), lease, lease/20)
	assert.Less(t, took, lease+lease/2, "at most a lease and a check interval, with margin")
	_, ok := exportOf(srv, ref)
	assert.False(t, ok, "the implicit export was collected")
}

// A client killed in the middle of a call leaves an orphan; the server
// cancels it once the grace period has passed, with ErrOrphaned.
func TestKilledCallerIsOrphaned(t *testing.T) {
	const grace = 500 * time.Millisecond
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", OrphanGrace: grace, LeaseCheckInterval: 20 * time.Millisecond})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cmd := startClient(t, "wait", srv.Endpoint(), "")
	<-impl.Started

	killed := kill(t, cmd)
	assertOrphaned(t, "the orphan (1 hop)", killed, <-impl.Ended, grace)
	require.Eventually(t, func() bool { return srv.Inspect().OrphansCancelled == 1 }, 10*time.Second, 5*time.Millisecond)
}

// Three runtimes: A (a process) calls B, B calls C with its context. A is
// killed; B orphans its call, and C's method sees its context cancelled
// as an orphan too.
func TestKilledCallerIsOrphanedAcrossHops(t *testing.T) {
	const grace = 500 * time.Millisecond
	opts := remote.Options{Listen: "127.0.0.1:0", OrphanGrace: grace, LeaseCheckInterval: 20 * time.Millisecond}
	b, c := newRuntime(t, opts), newRuntime(t, opts)
	_, err := remote.Export[testsvc.Calculator](b, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	cImpl := testsvc.NewCalc()
	_, err = remote.Export[testsvc.Calculator](c, cImpl, remote.WithID(calcID))
	require.NoError(t, err)
	cmd := startClient(t, "relay", b.Endpoint(), c.Endpoint())
	<-cImpl.Started

	killed := kill(t, cmd)
	assertOrphaned(t, "C's call (3 hops, A killed)", killed, <-cImpl.Ended, grace)
}

package etcdstore_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// daemon is a running objregistry serve on etcd.
type daemon struct {
	cmd  *exec.Cmd
	url  string
	logs *testutil.Buffer
}

// serveOnEtcd starts objregistry serve with its bindings in c under
// prefix.
func serveOnEtcd(t *testing.T, c *cluster, prefix string) *daemon {
	t.Helper()
	d := &daemon{logs: &testutil.Buffer{}}
	store := c.url(prefix) + "?ttl=" + storeTTL.String() + "&timeout=2s"
	d.cmd = exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--lease", ownerLease.String(), "--store", store)
	d.cmd.Stderr = io.MultiWriter(d.logs, os.Stderr)
	line, _ := testutil.Start(t, d.cmd)
	url, ok := strings.CutPrefix(line, "objregistry: serving ")
	require.True(t, ok, "first line %q", line)
	d.url = url
	return d
}

// startOwner runs an owner process that binds a Calc as name through
// the registry at url and keeps it bound; it returns the process and the
// owner's runtime id.
func startOwner(t *testing.T, url, name string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=owner", urlEnv+"="+url, nameEnv+"="+name)
	id, _ := testutil.Start(t, cmd)
	return cmd, id
}

// lookup asks the registry at url for name, within two seconds.
func lookup(t *testing.T, rt *remote.Runtime, url, name string) (remote.Ref, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := registry.Dial(ctx, rt, url)
	if err != nil {
		return remote.Ref{}, err
	}
	return c.Lookup(ctx, name)
}

// waitGone waits until name is not bound in any of the registries at
// urls, and returns how long that took.
func waitGone(t *testing.T, rt *remote.Runtime, name string, within time.Duration, urls ...string) time.Duration {
	t.Helper()
	start := time.Now()
	for _, u := range urls {
		require.Eventually(t, func() bool {
			_, err := lookup(t, rt, u, name)
			return errors.Is(err, registry.ErrNotBound)
		}, within-time.Since(start), 20*time.Millisecond, "%s still bound at %s after %s", name, u, within)
	}
	return time.Since(start)
}

// Two registry processes on one etcd: a binding made through A is found
// through B at once; when its owner is killed, it vanishes from both
// within the owner's lease and the store's TTL.
func TestTwoRegistriesOneNamespace(t *testing.T) {
	c := startCluster(t, 1)
	a, b := serveOnEtcd(t, c, "two"), serveOnEtcd(t, c, "two")
	rt := testutil.Runtime(t, remote.Options{})

	owner, id := startOwner(t, a.url, "calc")
	ref, err := lookup(t, rt, b.url, "calc")
	require.NoError(t, err, "bound through A, looked up through B")
	assert.Equal(t, id, ref.Runtime.String())
	calc, err := registry.Lookup[calculator](ctxT(t), rt, b.url+"/calc")
	require.NoError(t, err)
	sum, err := calc.Add(ctxT(t), 2, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(5), sum)
	remote.Release(calc)

	require.NoError(t, owner.Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	// Within the owner's lease (the registries' DGC gives up) plus the
	// store's TTL (etcd expires the owner's lease), plus a keepalive
	// period; the margin is for a loaded machine.
	waitGone(t, rt, "calc", ownerLease+storeTTL+15*time.Second, a.url, b.url)
	t.Logf("kill -9 of the owner to the binding gone from both registries: %s", time.Since(killed).Round(time.Millisecond))
}

// kill -9 of registry A loses nothing: B keeps the owner's lease alive,
// long past the store's TTL.
func TestKilledRegistryRemovesNothing(t *testing.T) {
	c := startCluster(t, 1)
	a, b := serveOnEtcd(t, c, "killreg"), serveOnEtcd(t, c, "killreg")
	rt := testutil.Runtime(t, remote.Options{})
	_, id := startOwner(t, a.url, "calc")
	require.Eventually(t, func() bool { _, err := lookup(t, rt, b.url, "calc"); return err == nil }, 10*time.Second, 20*time.Millisecond)

	require.NoError(t, a.cmd.Process.Signal(syscall.SIGKILL))
	deadline := time.Now().Add(ownerLease + 2*storeTTL + 2*time.Second)
	for time.Now().Before(deadline) {
		ref, err := lookup(t, rt, b.url, "calc")
		require.NoError(t, err, "B lost the binding after A died")
		require.Equal(t, id, ref.Runtime.String())
		time.Sleep(200 * time.Millisecond)
	}
	assert.NotContains(t, b.logs.String(), "removed a binding")
}

// An owner stopped (SIGSTOP) for longer than its lease loses its binding
// in every registry; after SIGCONT, its KeepBound binds it again.
func TestStoppedOwnerLosesItsBindingAndTakesItBack(t *testing.T) {
	c := startCluster(t, 1)
	a, b := serveOnEtcd(t, c, "stop"), serveOnEtcd(t, c, "stop")
	rt := testutil.Runtime(t, remote.Options{})
	owner, id := startOwner(t, a.url, "calc")
	require.Eventually(t, func() bool { _, err := lookup(t, rt, b.url, "calc"); return err == nil }, 10*time.Second, 20*time.Millisecond)

	require.NoError(t, owner.Process.Signal(syscall.SIGSTOP))
	continued := false
	cont := func() {
		if !continued {
			owner.Process.Signal(syscall.SIGCONT)
			continued = true
		}
	}
	t.Cleanup(cont)
	gone := waitGone(t, rt, "calc", ownerLease+storeTTL+15*time.Second, a.url, b.url)
	t.Logf("SIGSTOP of the owner to the binding gone from both registries: %s", gone.Round(time.Millisecond))
	cont()
	for _, u := range []string{a.url, b.url} {
		require.Eventually(t, func() bool {
			ref, err := lookup(t, rt, u, "calc")
			return err == nil && ref.Runtime.String() == id
		}, 15*time.Second, 20*time.Millisecond, "the owner's KeepBound did not bind it again (%s)", u)
	}
	// And it stays bound: the registries hold it again, so its lease is
	// kept alive past the TTL.
	time.Sleep(ownerLease + storeTTL + time.Second)
	for _, u := range []string{a.url, b.url} {
		ref, err := lookup(t, rt, u, "calc")
		require.NoError(t, err)
		assert.Equal(t, id, ref.Runtime.String())
	}
}

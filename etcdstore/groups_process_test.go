package etcdstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

const memberEnv = "ETCDSTORE_TEST_MEMBER" // the member's Account name

// childMember exports an Account named member, joins it to group in the
// registry at url, prints its runtime id once the join has returned,
// and serves until it is killed.
func childMember(url, group, member string) {
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Lease: ownerLease})
	if err != nil {
		fail(err)
	}
	ref, err := remote.Export[testsvc.Account](rt, testsvc.NewAccount(member, 0))
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	c, err := registry.Dial(ctx, rt, url)
	if err != nil {
		fail(err)
	}
	if err := c.Join(ctx, group, ref); err != nil {
		fail(err)
	}
	cancel()
	fmt.Println(rt.ID())
	time.Sleep(time.Hour)
}

// startMember runs a member process that joins group through the
// registry at url; it returns once the join is acknowledged.
func startMember(t *testing.T, url, group, member string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=member", urlEnv+"="+url, nameEnv+"="+group, memberEnv+"="+member)
	id, _ := testutil.Start(t, cmd)
	return cmd, id
}

// membersAt lists group through the registry at url, as runtime ids.
func membersAt(t *testing.T, rt *remote.Runtime, url, group string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := registry.Dial(ctx, rt, url)
	if err != nil {
		return nil, err
	}
	m, err := c.Members(ctx, group)
	ids := make([]string, len(m))
	for i, r := range m {
		ids[i] = r.Runtime.String()
	}
	return ids, err
}

// recorder is a MembersListener that keeps the last members it heard.
type recorder struct {
	mu   sync.Mutex
	last []string
}

func (r *recorder) Changed(_ context.Context, _ string, members []remote.Ref) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = r.last[:0]
	for _, m := range members {
		r.last = append(r.last, m.Runtime.String())
	}
	return nil
}

func (r *recorder) heard() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.last)
}

// Two registry processes on one etcd share their replica groups: members
// joined through either are listed through both, at once and in join
// order; a watcher through B hears of a join through A; a group stub
// looked up through B fails over when a member is killed with -9; and
// the dead member leaves the group in both registries within its lease.
func TestGroupAcrossTwoRegistryProcesses(t *testing.T) {
	c := startCluster(t, 1)
	a, b := serveOnEtcd(t, c, "groups"), serveOnEtcd(t, c, "groups")
	rt := testutil.Runtime(t, remote.Options{})
	both := func(want ...string) {
		t.Helper()
		for _, u := range []string{a.url, b.url} {
			got, err := membersAt(t, rt, u, "bank")
			require.NoError(t, err)
			require.Equal(t, want, got, "members through %s", u)
		}
	}

	doomed, id0 := startMember(t, a.url, "bank", "r0")
	both(id0)
	_, id1 := startMember(t, b.url, "bank", "r1")
	both(id0, id1)

	rec := &recorder{}
	cb, err := registry.Dial(ctxT(t), rt, b.url)
	require.NoError(t, err)
	require.NoError(t, cb.Watch(ctxT(t), "bank", rec))
	_, id2 := startMember(t, a.url, "bank", "r2")
	both(id0, id1, id2)
	require.Eventually(t, func() bool { return slices.Equal(rec.heard(), []string{id0, id1, id2}) },
		5*time.Second, 10*time.Millisecond, "a watcher through B never heard of a join through A: %v", rec.heard())

	acct, err := registry.LookupGroup[testsvc.Account](ctxT(t), rt, b.url+"/bank", remote.GroupOptions{})
	require.NoError(t, err)
	defer remote.Release(acct)
	require.Eventually(t, func() bool { return len(accountNames(t, acct, 30)) == 3 },
		5*time.Second, 10*time.Millisecond, "calls are spread over the three members")

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []error
		calls  int
		stop   = make(chan struct{})
	)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := acct.Name(ctxT(t)) // readonly: fails over
				mu.Lock()
				calls++
				if err != nil {
					failed = append(failed, err)
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, doomed.Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	for _, u := range []string{a.url, b.url} {
		require.Eventually(t, func() bool {
			got, err := membersAt(t, rt, u, "bank")
			return err == nil && slices.Equal(got, []string{id1, id2})
		}, ownerLease+storeTTL+15*time.Second-time.Since(killed), 20*time.Millisecond,
			"the killed member is still in the group at %s", u)
	}
	gone := time.Since(killed)
	require.Eventually(t, func() bool { return slices.Equal(rec.heard(), []string{id1, id2}) },
		5*time.Second, 10*time.Millisecond, "the watcher through B never heard of the loss: %v", rec.heard())
	close(stop)
	wg.Wait()
	assert.Empty(t, failed, "readonly calls through the group stub fail over (%d calls)", calls)
	assert.Equal(t, map[string]bool{"r1": true, "r2": true}, accountNames(t, acct, 30), "traffic on the survivors")
	// The survivors stay, past the etcd TTL: the registries that hold
	// them keep their owners' etcd leases alive.
	time.Sleep(storeTTL + time.Second)
	both(id1, id2)
	t.Logf("kill -9 of a member to it gone from the group in both registries: %s (owner lease %s, etcd TTL %s); %d calls during it, %d failed",
		gone.Round(time.Millisecond), ownerLease, storeTTL, calls, len(failed))
}

// accountNames calls Name n times and returns the members that answered.
func accountNames(t *testing.T, a testsvc.Account, n int) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for range n {
		name, err := a.Name(ctxT(t))
		require.NoError(t, err)
		seen[name] = true
	}
	return seen
}

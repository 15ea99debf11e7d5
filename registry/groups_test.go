package registry_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// replica starts a runtime exporting an Account named name and joins it
// to group in the registry at url.
func replica(t *testing.T, url, group, name string, opts remote.Options) (*remote.Runtime, remote.Ref, *testsvc.AccountImpl) {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	rt := newRuntime(t, opts)
	impl := testsvc.NewAccount(name, 0)
	ref, err := remote.Export[testsvc.Account](rt, impl)
	require.NoError(t, err)
	require.NoError(t, dial(t, rt, url).Join(ctxT(t), group, ref))
	return rt, ref, impl
}

// names calls Name n times through a and counts the answers.
func names(t *testing.T, a testsvc.Account, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for range n {
		name, err := a.Name(ctxT(t))
		require.NoError(t, err)
		seen[name]++
	}
	return seen
}

func TestGroupJoinMembersLeaveAndAStubThatFollows(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	var refs []remote.Ref
	for i := range 3 {
		_, ref, _ := replica(t, srv.URL(), "bank", fmt.Sprint("r", i), remote.Options{})
		refs = append(refs, ref)
	}
	cli := newRuntime(t, remote.Options{})
	c := dial(t, cli, srv.URL())
	members, err := c.Members(ctxT(t), "bank")
	require.NoError(t, err)
	require.Len(t, members, 3)

	a, err := registry.LookupGroup[testsvc.Account](ctxT(t), cli, srv.URL()+"/bank", remote.GroupOptions{})
	require.NoError(t, err)
	defer remote.Release(a)
	assert.Len(t, names(t, a, 60), 3, "calls are spread over the members")

	require.NoError(t, c.Leave(ctxT(t), "bank", refs[0]))
	assert.ErrorIs(t, c.Leave(ctxT(t), "bank", refs[0]), registry.ErrNotMember)
	require.Eventually(t, func() bool { return names(t, a, 20)["r0"] == 0 }, 5*time.Second, 10*time.Millisecond,
		"the watch took the member that left out of the stub's group")
}

func TestAnEmptyGroupFailsNotSentAndNamesTheGroup(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	cli := newRuntime(t, remote.Options{})
	a, err := registry.LookupGroup[testsvc.Account](ctxT(t), cli, srv.URL()+"/nobody", remote.GroupOptions{})
	require.NoError(t, err)
	defer remote.Release(a)
	_, err = a.Name(ctxT(t))
	require.ErrorIs(t, err, objerr.ErrUnavailable)
	require.ErrorIs(t, err, objerr.ErrNotSent)
	assert.Contains(t, err.Error(), "nobody")

	// A member that joins later is called.
	replica(t, srv.URL(), "nobody", "late", remote.Options{})
	require.Eventually(t, func() bool { _, err := a.Name(ctxT(t)); return err == nil }, 5*time.Second, 10*time.Millisecond)
}

func TestADeadMemberLeavesTheGroup(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	rt, _, _ := replica(t, srv.URL(), "bank", "doomed", remote.Options{Lease: 300 * time.Millisecond})
	replica(t, srv.URL(), "bank", "ok", remote.Options{})
	c := dial(t, newRuntime(t, remote.Options{}), srv.URL())
	rt.Close()
	require.Eventually(t, func() bool {
		m, err := c.Members(ctxT(t), "bank")
		return err == nil && len(m) == 1
	}, 10*time.Second, 20*time.Millisecond)
}

func TestAGroupFailsOverWhenAMemberDies(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	var rts []*remote.Runtime
	for i := range 3 {
		rt, _, impl := replica(t, srv.URL(), "bank", fmt.Sprint("r", i), remote.Options{})
		impl.Delay = time.Millisecond
		rts = append(rts, rt)
	}
	cli := newRuntime(t, remote.Options{})
	a, err := registry.LookupGroup[testsvc.Account](ctxT(t), cli, srv.URL()+"/bank", remote.GroupOptions{})
	require.NoError(t, err)
	defer remote.Release(a)

	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	stop := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := a.Name(ctxT(t)); err != nil { // readonly
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	rts[1].Close()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	assert.Empty(t, failed, "readonly calls fail over")
}

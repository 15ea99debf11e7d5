package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

const shortLease = 500 * time.Millisecond

// waitNames waits until the registry lists exactly want.
func waitNames(t *testing.T, c *registry.Client, want []string, within time.Duration) {
	t.Helper()
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		names, err := c.List(ctxT(t))
		assert.NoError(ct, err)
		if len(want) == 0 {
			assert.Empty(ct, names)
		} else {
			assert.Equal(ct, want, names)
		}
	}, within, 10*time.Millisecond)
}

// A bound object stays alive while bound: the registry holds a lease on
// it. Unbind releases it, and a collectable object is then collected.
func TestBindingHoldsTheObjectAndUnbindReleasesIt(t *testing.T) {
	// A longer lease: the renewals must keep it alive on a loaded machine,
	// with half a lease of slack each.
	const lease = 2 * time.Second
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	owner, _, impl := exportCalc(t, remote.Options{Lease: lease})
	k, err := impl.NewCounter(ctxT(t), 7)
	require.NoError(t, err)
	ref, err := remote.Export[testsvc.Counter](owner, k, remote.Collectable())
	require.NoError(t, err)
	c := dial(t, owner, srv.URL())
	require.NoError(t, c.Bind(ctxT(t), "k", ref))

	holders := func() []remote.ExportInfo {
		var out []remote.ExportInfo
		for _, e := range owner.Inspect().Exports {
			if e.Ref.Object == ref.Object {
				out = append(out, e)
			}
		}
		return out
	}
	require.Len(t, holders(), 1)
	require.Len(t, holders()[0].Holders, 1, "the registry holds it")
	time.Sleep(lease + lease/4) // past the first lease: renewed, not lapsed
	require.Len(t, holders(), 1)
	assert.Empty(t, impl.Unreferenced, "kept alive while bound")

	require.NoError(t, c.Unbind(ctxT(t), "k"))
	select {
	case start := <-impl.Unreferenced:
		assert.Equal(t, int64(7), start)
	case <-time.After(10 * time.Second):
		t.Fatal("Unbind did not release the registry's reference")
	}
	assert.Empty(t, holders(), "collected")
}

// When the exporting runtime dies, its binding goes once the registry's
// lease on the object has lapsed, and the registry logs why.
func TestBindingOfADeadServerIsRemoved(t *testing.T) {
	srv, logs := startRegistry(t, registry.Options{}, remote.Options{})
	owner, ref, _ := exportCalc(t, remote.Options{Lease: shortLease})
	_, live, _ := exportCalc(t, remote.Options{Lease: shortLease})
	c := dial(t, newRuntime(t, remote.Options{}), srv.URL())
	require.NoError(t, c.Bind(ctxT(t), "dead", ref))
	require.NoError(t, c.Bind(ctxT(t), "live", live))

	require.NoError(t, owner.Close()) // no word to the registry
	start := time.Now()
	waitNames(t, c, []string{"live"}, 4*shortLease+2*time.Second)
	t.Logf("binding removed %v after its server closed (lease %v)", time.Since(start), shortLease)
	_, err := c.Lookup(ctxT(t), "dead")
	assert.ErrorIs(t, err, registry.ErrNotBound, "not a dead reference")
	assert.Eventually(t, func() bool {
		return strings.Contains(logs.String(), `msg="objrmi registry: removed a binding: its object is gone or unreachable" name=dead`)
	}, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, logs.String(), "lapsed")
}

// A server that restarts at the same address is a new runtime: its old
// binding goes at the registry's next renewal, without waiting for a lapse.
func TestBindingOfARestartedServerIsRemovedAtOnce(t *testing.T) {
	srv, logs := startRegistry(t, registry.Options{}, remote.Options{})
	owner, ref, _ := exportCalc(t, remote.Options{Lease: shortLease})
	c := dial(t, newRuntime(t, remote.Options{}), srv.URL())
	require.NoError(t, c.Bind(ctxT(t), "calc", ref))
	require.NoError(t, owner.Close())
	newRuntime(t, remote.Options{Listen: ref.Endpoint})
	start := time.Now()
	waitNames(t, c, nil, 10*time.Second)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Eventually(t, func() bool { return strings.Contains(logs.String(), "owner runtime restarted") }, 5*time.Second, 10*time.Millisecond)
}

// With the file store, bindings survive a restart of the registry: live
// ones are kept, and those whose server died meanwhile are dropped.
func TestFileStoreSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bindings.json")
	store, err := registry.OpenFileStore(path, registry.FileOptions{})
	require.NoError(t, err)
	regRT := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Lease: shortLease})
	srv, err := registry.Serve(regRT, registry.Options{Store: store})
	require.NoError(t, err)

	var live []remote.Ref
	for range 3 {
		_, ref, _ := exportCalc(t, remote.Options{Lease: shortLease})
		live = append(live, ref)
	}
	dead, deadRef, _ := exportCalc(t, remote.Options{Lease: shortLease})
	c := dial(t, newRuntime(t, remote.Options{}), srv.URL())
	for i, ref := range live {
		require.NoError(t, c.Bind(ctxT(t), "live"+string(rune('0'+i)), ref))
	}
	require.NoError(t, c.Bind(ctxT(t), "dead", deadRef))
	require.NoError(t, srv.Close())
	require.NoError(t, regRT.Close())
	require.NoError(t, store.Close())
	require.NoError(t, dead.Close())

	store, err = registry.OpenFileStore(path, registry.FileOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	srv2, logs := startRegistry(t, registry.Options{Store: store}, remote.Options{Lease: shortLease})
	c2 := dial(t, newRuntime(t, remote.Options{}), srv2.URL())
	waitNames(t, c2, []string{"live0", "live1", "live2"}, 4*shortLease+2*time.Second)
	for i := range live {
		calc, err := registry.LookupIn[testsvc.Calculator](ctxT(t), c2, "live"+string(rune('0'+i)))
		require.NoError(t, err)
		_, err = calc.Add(ctxT(t), 1, 2)
		require.NoError(t, err, "live binding %d works after the restart", i)
	}
	assert.Contains(t, logs.String(), "restored bindings")
	assert.Eventually(t, func() bool { return strings.Contains(logs.String(), "name=dead") }, 5*time.Second, 10*time.Millisecond)

	_, err = registry.OpenFileStore(path, registry.FileOptions{})
	assert.ErrorContains(t, err, "in use by another registry")
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(path)
		return err == nil && strings.Count(string(data), `"name":`) == 3 && !strings.Contains(string(data), `"dead"`)
	}, 5*time.Second, 10*time.Millisecond, "the dropped binding is gone from the file too")
}

// An object its owner unexports while bound is dropped at the registry's
// next renewal: the owner tells each holder what it lost.
func TestBindingOfAnUnexportedObjectIsRemoved(t *testing.T) {
	srv, logs := startRegistry(t, registry.Options{}, remote.Options{})
	owner, ref, _ := exportCalc(t, remote.Options{Lease: shortLease})
	c := dial(t, owner, srv.URL())
	require.NoError(t, c.Bind(ctxT(t), "calc", ref))
	require.NoError(t, owner.Unexport(ref))
	waitNames(t, c, nil, 4*shortLease+2*time.Second)
	assert.Eventually(t, func() bool { return strings.Contains(logs.String(), "it was unexported") }, 5*time.Second, 10*time.Millisecond)
}

// An embedded registry holds no lease on its own runtime's objects; a
// lookup of one that was unexported drops the binding instead.
func TestEmbeddedBindingOfAnUnexportedObjectIsRemoved(t *testing.T) {
	rt := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	srv, err := registry.Serve(rt, registry.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	ref, err := remote.Export[testsvc.Calculator](rt, testsvc.NewCalc())
	require.NoError(t, err)
	require.NoError(t, srv.Bind(ctxT(t), "calc", ref))
	require.NoError(t, rt.Unexport(ref))

	c := dial(t, newRuntime(t, remote.Options{}), srv.URL())
	_, err = c.Lookup(ctxT(t), "calc")
	assert.ErrorIs(t, err, registry.ErrNotBound)
	waitNames(t, c, nil, time.Second)
}

// flakyStore is a memory store whose deletions fail on demand.
type flakyStore struct {
	*registry.MemoryStore
	mu   sync.Mutex
	fail bool
}

func (f *flakyStore) failing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail
}

func (f *flakyStore) setFailing(v bool) {
	f.mu.Lock()
	f.fail = v
	f.mu.Unlock()
}

func (f *flakyStore) Delete(ctx context.Context, name string) (registry.Binding, error) {
	if f.failing() {
		return registry.Binding{}, errors.New("disk full")
	}
	return f.MemoryStore.Delete(ctx, name)
}

func (f *flakyStore) DeleteIf(ctx context.Context, name string, ref remote.Ref) (bool, error) {
	if f.failing() {
		return false, errors.New("disk full")
	}
	return f.MemoryStore.DeleteIf(ctx, name, ref)
}

// A store that fails to delete never makes the registry lose track of a
// binding: an Unbind that failed keeps watching it, and a binding dropped
// for a dead object is not handed out while the store still has it.
func TestAFailingStoreNeverLeavesADeadBindingOut(t *testing.T) {
	store := &flakyStore{MemoryStore: registry.NewMemoryStore()}
	srv, logs := startRegistry(t, registry.Options{Store: store}, remote.Options{})
	owner, ref, _ := exportCalc(t, remote.Options{Lease: shortLease})
	c := dial(t, newRuntime(t, remote.Options{}), srv.URL())
	require.NoError(t, c.Bind(ctxT(t), "calc", ref))

	store.setFailing(true)
	err := c.Unbind(ctxT(t), "calc")
	assert.ErrorIs(t, err, registry.ErrStore)
	assert.NotContains(t, err.Error(), "disk full", "the store's own words stay in the registry's log")
	assert.Contains(t, logs.String(), "disk full")
	require.NoError(t, owner.Close())
	waitNames(t, c, nil, 4*shortLease+2*time.Second) // still watched, dropped
	_, err = c.Lookup(ctxT(t), "calc")
	assert.ErrorIs(t, err, registry.ErrNotBound)
	all, _ := store.List(ctxT(t))
	assert.Len(t, all, 1, "the store still has it")

	store.setFailing(false)
	waitNames(t, c, nil, time.Second)
	all, _ = store.List(ctxT(t))
	assert.Empty(t, all, "removed from the store at the next List")
}

func TestWellKnownIDsCannotBeBound(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	owner := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	ref, err := remote.Export[testsvc.Calculator](owner, testsvc.NewCalc(), remote.WithID(100))
	require.NoError(t, err)
	err = dial(t, owner, srv.URL()).Bind(ctxT(t), "calc", ref)
	assert.ErrorIs(t, err, registry.ErrBadReference)
	assert.ErrorContains(t, err, "well-known id")
}

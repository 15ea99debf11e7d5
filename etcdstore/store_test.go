package etcdstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/etcdstore"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

func openStore(t testing.TB, c *cluster, prefix string, mod func(*etcdstore.Options)) *etcdstore.Store {
	t.Helper()
	opts, err := etcdstore.ParseURL(c.url(prefix))
	require.NoError(t, err)
	opts.LeaseTTL = 2 * time.Second
	opts.Timeout = 2 * time.Second
	if mod != nil {
		mod(&opts)
	}
	s, err := etcdstore.Open(ctxT(t), opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func fakeRef(obj uint64) remote.Ref {
	return remote.Ref{Runtime: uuid.New(), Endpoint: "127.0.0.1:1", Object: obj, Iface: "Calculator", Key: 42}
}

// The Store's operations, on one etcd, seen through two stores.
func TestStoreOperations(t *testing.T) {
	c := startCluster(t, 1)
	a, b := openStore(t, c, "ops", nil), openStore(t, c, "ops", nil)
	ctx := ctxT(t)
	r1, r2 := fakeRef(1024), fakeRef(1025)

	require.NoError(t, a.Create(ctx, registry.Binding{Name: "calc", Ref: r1, Bound: time.Now()}))
	assert.ErrorIs(t, b.Create(ctx, registry.Binding{Name: "calc", Ref: r2}), registry.ErrAlreadyBound)
	got, err := b.Get(ctx, "calc") // at once, though b's watch may not have it yet
	require.NoError(t, err)
	assert.Equal(t, r1, got.Ref, "the whole reference, key included")

	old, replaced, err := b.Put(ctx, registry.Binding{Name: "calc", Ref: r2})
	require.NoError(t, err)
	assert.True(t, replaced)
	assert.Equal(t, r1, old.Ref)

	ok, err := a.DeleteIf(ctx, "calc", r1)
	require.NoError(t, err)
	assert.False(t, ok, "a newer binding of the name survives")

	require.Eventually(t, func() bool { g, _ := a.Cached("calc"); return g.Ref == r2 }, 5*time.Second, 10*time.Millisecond)
	list, err := a.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, r2, list[0].Ref)

	_, err = a.Delete(ctx, "calc")
	require.NoError(t, err)
	_, err = a.Delete(ctx, "calc")
	assert.ErrorIs(t, err, registry.ErrNotBound)
	_, err = a.Get(ctx, "calc")
	assert.ErrorIs(t, err, registry.ErrNotBound, "a store sees its own writes at once")
	// Another store's cache hears of it through the watch.
	require.Eventually(t, func() bool {
		_, err := b.Get(ctx, "calc")
		return errors.Is(err, registry.ErrNotBound)
	}, 5*time.Second, 5*time.Millisecond)
}

package etcdstore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/etcdstore"
	"github.com/objrmi/objrmi/remote"
)

// The GroupStore operations, on one etcd, seen through two stores: a
// member joined through one is listed through the other as soon as the
// join has returned, in join order; joins and leaves are transactions.
func TestStoreGroupOperations(t *testing.T) {
	c := startCluster(t, 1)
	long := func(o *etcdstore.Options) { o.LeaseTTL = 30 * time.Second } // no one holds these owners
	a, b := openStore(t, c, "gops", long), openStore(t, c, "gops", long)
	heard := make(chan string, 100)
	stop := b.FollowGroups(func(g string) { heard <- g })
	defer stop()
	ctx := ctxT(t)
	r1, r2, r3 := fakeRef(1024), fakeRef(1025), fakeRef(1026)

	require.NoError(t, a.GroupJoin(ctx, "bank", r1))
	m, err := b.GroupMembers(ctx, "bank")
	require.NoError(t, err)
	assert.Equal(t, []remote.Ref{r1}, m, "joined through a, listed through b at once")
	require.NoError(t, b.GroupJoin(ctx, "bank", r2))
	require.NoError(t, b.GroupJoin(ctx, "bank", r1), "joining twice is harmless")
	require.NoError(t, a.GroupJoin(ctx, "bank/eu", r3)) // a group name with '/', not a member of "bank"
	m, err = a.GroupMembers(ctx, "bank")
	require.NoError(t, err)
	assert.Equal(t, []remote.Ref{r1, r2}, m, "in join order, each once")
	want := map[string][]remote.Ref{"bank": {r1, r2}, "bank/eu": {r3}}
	require.Eventually(t, func() bool { // from the cache, as List: the watch brings a's last join
		all, err := b.Groups(ctx)
		return err == nil && assert.ObjectsAreEqual(want, all)
	}, 5*time.Second, 5*time.Millisecond)
	select {
	case g := <-heard:
		assert.Contains(t, []string{"bank", "bank/eu"}, g)
	case <-time.After(5 * time.Second):
		t.Fatal("b's group followers never heard of a join made through a")
	}

	was, err := b.GroupLeave(ctx, "bank", r1)
	require.NoError(t, err)
	assert.True(t, was)
	was, err = a.GroupLeave(ctx, "bank", r1)
	require.NoError(t, err)
	assert.False(t, was)
	m, err = a.GroupMembers(ctx, "bank")
	require.NoError(t, err)
	assert.Equal(t, []remote.Ref{r2}, m)

	// 40 members join through both stores at once, and all of them join
	// one other group as the same member: each is in once.
	same := fakeRef(2000)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			st := a
			if i%2 == 1 {
				st = b
			}
			assert.NoError(t, st.GroupJoin(ctx, "crowd", fakeRef(uint64(3000+i))))
			assert.NoError(t, st.GroupJoin(ctx, "one", same))
		})
	}
	wg.Wait()
	for _, st := range []*etcdstore.Store{a, b} {
		m, err := st.GroupMembers(ctx, "crowd")
		require.NoError(t, err)
		assert.Len(t, m, 40)
		m, err = st.GroupMembers(ctx, "one")
		require.NoError(t, err)
		assert.Equal(t, []remote.Ref{same}, m)
	}
}

// A member is attached to its owner's etcd lease: when no registry
// holds the owner, it vanishes from every store within the lease's TTL.
func TestStoreGroupMemberFollowsItsOwnersLease(t *testing.T) {
	c := startCluster(t, 1)
	a, b := openStore(t, c, "glease", nil), openStore(t, c, "glease", nil) // TTL 2 s
	ctx := ctxT(t)
	r := fakeRef(1024)
	require.NoError(t, a.GroupJoin(ctx, "bank", r))
	m, err := b.GroupMembers(ctx, "bank")
	require.NoError(t, err)
	require.Equal(t, []remote.Ref{r}, m)
	start := time.Now()
	for _, st := range []*etcdstore.Store{a, b} {
		require.Eventually(t, func() bool { return len(st.CachedMembers("bank")) == 0 },
			15*time.Second, 20*time.Millisecond, "the member outlived its owner's lease")
	}
	t.Logf("a member no registry holds, gone from both stores after %s (TTL 2 s)", time.Since(start).Round(time.Millisecond))
	m, err = b.GroupMembers(ctx, "bank")
	require.NoError(t, err)
	assert.Empty(t, m)
}

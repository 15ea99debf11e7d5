package registry_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

type quietListener struct{}

func (quietListener) Changed(context.Context, string, []remote.Ref) error { return nil }

// Review: Watch is open to every caller, and its watches were bounded
// only per group (256) and in all (4,096): one peer could take every
// watch the registry allows, on 4,096 made-up groups, and every other
// client's Watch (and every LookupGroup stub) was refused from then on.
// A peer now has at most 256 watches; others still get theirs.
func TestReview5OnePeerCannotTakeEveryGroupWatch(t *testing.T) {
	srv, _ := startRegistry(t, registry.Options{}, remote.Options{})
	hog := newRuntime(t, remote.Options{})
	c := dial(t, hog, srv.URL())
	var err error
	n := 0
	for ; n < 300; n++ {
		if err = c.Watch(ctxT(t), fmt.Sprint("g", n), quietListener{}); err != nil {
			break
		}
	}
	require.Error(t, err, "one peer set %d watches", n)
	assert.Equal(t, 256, n)
	assert.ErrorIs(t, err, registry.ErrStore)
	assert.Contains(t, err.Error(), "this caller")

	other := newRuntime(t, remote.Options{})
	require.NoError(t, dial(t, other, srv.URL()).Watch(ctxT(t), "g0", quietListener{}))
}

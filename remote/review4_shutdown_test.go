package remote_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// REVIEW (Shutdown's bound): Close now first sends cleans to the owners
// of what the runtime holds, waiting up to a second whatever the caller
// allows. Shutdown(ctx) goes through Close, so with an owner that does not
// answer, a Shutdown given 200 ms took a whole second: longer than its
// context, which is the bound it documents.
func TestReviewShutdownKeepsToItsContextWhileOwnersDoNotAnswer(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	p := newProxy(t, srv.Endpoint())
	cli, err := remote.NewRuntime(remote.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	ref, err := remote.Export[testsvc.Counter](srv, newReasons(), remote.Collectable())
	require.NoError(t, err)
	ref.Endpoint = p.addr()
	d := remote.Dynamic(cli, ref)
	require.NoError(t, cli.Confirm(ctxT(t), d))
	p.freeze() // the owner looks alive and answers nothing

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	cli.Shutdown(ctx)
	took := time.Since(start)
	t.Logf("Shutdown with a 200 ms context took %v", took.Round(time.Millisecond))
	assert.Less(t, took, 700*time.Millisecond)
}

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

// panicky is an observer with a bug: it panics in CallStart or CallEnd.
type panicky struct{ start, end bool }

func (p panicky) CallStart(ctx context.Context, _ *remote.CallInfo) context.Context {
	if p.start {
		panic("observer bug in CallStart")
	}
	return ctx
}

func (p panicky) CallEnd(context.Context, *remote.CallInfo, time.Duration, error) {
	if p.end {
		panic("observer bug in CallEnd")
	}
}

// Review: an observer is a metrics or tracing hook; one with a bug must
// not take the process down with it. A panic in CallStart or CallEnd,
// on the server (on a worker, where it killed the whole runtime) or on
// the client, is logged, and the call goes on unchanged.
func TestReview5APanickingObserverIsContained(t *testing.T) {
	for _, p := range []panicky{{start: true}, {end: true}, {start: true, end: true}} {
		srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{p}})
		_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
		require.NoError(t, err)
		cli := newRuntime(t, remote.Options{Observers: []remote.Observer{p}})
		calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
		require.NoError(t, err)
		for range 3 {
			sum, err := calc.Add(ctxT(t), 1, 2)
			require.NoError(t, err, "%+v", p)
			assert.Equal(t, int64(3), sum)
		}
	}
}

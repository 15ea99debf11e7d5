package remote_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/remote"
)

// Toucher records whether it ran after its runtime's Shutdown returned.
type Toucher interface {
	Touch(ctx context.Context) error
}

type toucher struct {
	after *atomic.Bool
	late  *atomic.Int64
}

func (t toucher) Touch(context.Context) error {
	if t.after.Load() {
		t.late.Add(1)
	}
	return nil
}

// Shutdown returns nil once no method runs, and none may start after it:
// a method the reader had handed to a worker, but which had not yet
// been counted, started after Shutdown returned (on resources the
// user then closed).
func TestReviewNoMethodStartsAfterShutdownReturns(t *testing.T) {
	var late atomic.Int64
	for round := 0; round < 30 && late.Load() == 0; round++ {
		var after atomic.Bool
		srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
		require.NoError(t, err)
		_, err = remote.Export[Toucher](srv, toucher{&after, &late}, remote.WithID(calcID))
		require.NoError(t, err)
		cli := newRuntime(t, remote.Options{})
		d := remote.Dynamic(cli, remote.Ref{Endpoint: srv.Endpoint(), Object: calcID, Iface: "Toucher"})
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := d.Call(ctxT(t), "Touch"); err != nil {
						return
					}
				}
			}()
		}
		time.Sleep(50 * time.Millisecond)
		require.NoError(t, srv.Shutdown(ctxT(t)))
		after.Store(true)
		time.Sleep(20 * time.Millisecond)
		close(stop)
		wg.Wait()
	}
	assert.Zero(t, late.Load(), "methods started after Shutdown returned")
}

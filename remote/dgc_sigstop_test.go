package remote_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// stopLease is the lease of the owner that TestStoppedOwner stops.
const stopLease = time.Second

// childDGCOwner serves a Calc with a short lease, until it is killed.
func childDGCOwner() {
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Lease: stopLease})
	if err == nil {
		_, err = remote.Export[testsvc.Calculator](rt, testsvc.NewCalc(), remote.WithID(calcID))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(rt.Endpoint())
	select {}
}

// Issue 12 item 6, the SIGSTOP case: the owner process is stopped until
// the holder's lease runs out and the holder gives up on the renewal the
// owner never read; it is continued at once, before the holder's retry.
// The owner's checker then races that late renewal: when the checker
// wins, the object is collected and the late renewal starts a new record
// whose answer no one hears. However they land, the holder must never
// believe it holds the object while the owner does not count it: either
// the object lives and the holder's calls work, or the holder is told it
// is gone.
func TestStoppedOwnerNeverLeavesAHolderUncounted(t *testing.T) {
	// Each round is a race; four run side by side, each with its own owner.
	for round := range 4 {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			t.Parallel()
			stoppedOwnerRound(t)
		})
	}
}

// stoppedOwnerRound is one stop and continue of its own owner process.
func stoppedOwnerRound(t *testing.T) {
	cmd, endpoint, _ := runChild(t, childEnv+"=dgc-owner")
	h := newRuntime(t, remote.Options{})
	ctx := ctxT(t)
	k, err := dialCalc(t, h, endpoint).NewCounter(ctx, 3)
	require.NoError(t, err)
	require.NoError(t, h.Confirm(ctx, k))

	lost := h.Watch(k)
	require.NoError(t, cmd.Process.Signal(syscall.SIGSTOP))
	select {
	case <-lost.Done(): // the holder gave up its renewal; its retry comes 100 ms later
	case <-time.After(5 * stopLease):
		t.Fatal("the holder did not notice the stopped owner")
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGCONT))
	require.ErrorIs(t, context.Cause(lost), objerr.ErrLeaseLapsed)
	time.Sleep(3 * stopLease) // renewals after the wake-up, and their answers

	confirm := h.Confirm(ctx, k)
	_, call := k.Incr(ctx, 1)
	t.Logf("Confirm: %v; call: %v", confirm, call)
	switch {
	case confirm == nil:
		assert.NoError(t, call, "the holder believes it holds the object, but the owner collected it")
	default:
		assert.ErrorIs(t, confirm, objerr.ErrNoSuchObject, "told the object is gone")
		assert.True(t, errors.Is(call, objerr.ErrNoSuchObject), "and it is")
	}
	remote.Release(k) // the child is killed by runChild's cleanup
}

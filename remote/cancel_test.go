package remote_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/objerr"
)

// Cancelling the caller's context cancels the server method's context,
// with a cause that says the caller gave up.
func TestCancelReachesServer(t *testing.T) {
	_, impl, _, calc := pair(t)
	ctx, cancel := context.WithCancel(ctxT(t))
	errc := make(chan error, 1)
	go func() {
		_, err := calc.Wait(ctx, time.Minute)
		errc <- err
	}()
	<-impl.Started
	cancel()

	err := <-errc
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown, "the call was sent: the method may have run")
	seen := <-impl.Ended
	assert.True(t, seen.Canceled, "the server method saw ctx.Done()")
	assert.Equal(t, objerr.ErrCallerCanceled.Error(), seen.Cause)
}

// The caller's deadline travels with the call: the server's context has
// (nearly) the same deadline and ends when it passes.
func TestDeadlineTravels(t *testing.T) {
	_, impl, _, calc := pair(t)
	deadline := time.Now().Add(500 * time.Millisecond)
	ctx, cancel := context.WithDeadline(ctxT(t), deadline)
	defer cancel()

	_, err := calc.Wait(ctx, time.Minute)
	// Both sides hold the same deadline, so either the client gives up
	// first (DeadlineExceeded) or the server's context ends first and
	// Wait returns normally; never does the call outlive the deadline.
	if err != nil {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		var e *objerr.Error
		require.True(t, errors.As(err, &e))
		assert.True(t, e.Timeout())
	}

	seen := <-impl.Ended
	require.True(t, seen.HadDeadline)
	// The wire carries the remaining time, so the server's deadline can
	// only be later than the client's by the transit time: allow a
	// generous second for a loaded machine.
	assert.WithinDuration(t, deadline, seen.Deadline, time.Second)
	assert.True(t, seen.Canceled)
}

// An already expired context is refused before anything is sent.
func TestExpiredContextNotSent(t *testing.T) {
	_, _, _, calc := pair(t)
	ctx, cancel := context.WithTimeout(ctxT(t), -time.Second)
	defer cancel()
	_, err := calc.Add(ctx, 1, 2)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

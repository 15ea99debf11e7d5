package transport

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestCallCtx(t *testing.T, timeout time.Duration) *callCtx {
	ctx, cancel := context.WithCancelCause(context.Background())
	c := newCallCtx(ctx, cancel, timeout)
	t.Cleanup(func() { c.stop(); cancel(nil) })
	return c
}

// A method that waits on Done sees the deadline end its context exactly
// as context.WithDeadline would end it.
func TestCallCtxDoneAtDeadline(t *testing.T) {
	c := newTestCallCtx(t, 50*time.Millisecond)
	dl, ok := c.Deadline()
	require.True(t, ok)
	assert.NoError(t, c.Err())
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done never closed")
	}
	assert.False(t, time.Now().Before(dl))
	assert.Equal(t, context.DeadlineExceeded, c.Err())
	assert.Equal(t, context.DeadlineExceeded, context.Cause(c))
}

// Without a wait on Done no timer runs, yet Err still reports the
// deadline once it has passed, and the cause agrees.
func TestCallCtxErrWithoutTimer(t *testing.T) {
	c := newTestCallCtx(t, time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	assert.Nil(t, c.timer)
	assert.Equal(t, context.DeadlineExceeded, c.Err())
	assert.Equal(t, context.DeadlineExceeded, context.Cause(c))
	select {
	case <-c.Context.Done():
	default:
		t.Fatal("the call's context was not ended")
	}
}

// A cancel that comes first keeps its own cause, deadline or not.
func TestCallCtxCancelFirst(t *testing.T) {
	c := newTestCallCtx(t, time.Hour)
	why := errors.New("caller gave up")
	c.cancel(why)
	<-c.Done()
	assert.Equal(t, context.Canceled, c.Err())
	assert.Equal(t, why, context.Cause(c))
}

// Contexts derived from the call's see its deadline and end with it.
func TestCallCtxChildren(t *testing.T) {
	c := newTestCallCtx(t, 50*time.Millisecond)
	child, cancel := context.WithCancel(c)
	defer cancel()
	dl, ok := child.Deadline()
	require.True(t, ok)
	assert.Equal(t, c.deadline, dl)
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the child never ended")
	}
	assert.ErrorIs(t, context.Cause(child), context.DeadlineExceeded)
}

// stop before anyone waits means no timer is ever armed.
func TestCallCtxStopBeforeArm(t *testing.T) {
	c := newTestCallCtx(t, time.Hour)
	c.stop()
	c.Done()
	assert.Nil(t, c.timer)
}

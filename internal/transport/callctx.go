package transport

import (
	"context"
	"sync"
	"time"
)

// callCtx is the context of an inbound call whose caller sent a
// deadline. It arms a timer for the deadline only once something waits on
// Done: most methods never do, and creating and stopping a timer for
// every call was one of the largest costs of a small call. Err and
// Deadline answer from the clock without it.
type callCtx struct {
	context.Context // the call's own cancelable context
	cancel          context.CancelCauseFunc
	deadline        time.Time

	arm     sync.Once
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	// done is closed once the call's context ends. It is not the inner
	// context's own channel, so that a context the method derives from
	// this one is not attached to the inner cancelCtx (whose Err is
	// always context.Canceled) but asks this one's Err when it ends: a
	// derived context then sees context.DeadlineExceeded at the deadline
	// too, as under context.WithDeadline. Cause still finds the inner
	// context's cause.
	done chan struct{}
}

func newCallCtx(ctx context.Context, cancel context.CancelCauseFunc, timeout time.Duration) *callCtx {
	return &callCtx{Context: ctx, cancel: cancel, deadline: time.Now().Add(timeout)}
}

func (c *callCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *callCtx) Done() <-chan struct{} {
	c.arm.Do(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		done := make(chan struct{})
		c.done = done
		context.AfterFunc(c.Context, func() { close(done) })
		if !c.stopped {
			c.timer = time.AfterFunc(time.Until(c.deadline), c.expire)
		}
	})
	return c.done
}

// expire ends the call's context as context.WithDeadline would: Err is
// context.DeadlineExceeded, and so is the cause.
func (c *callCtx) expire() { c.cancel(context.DeadlineExceeded) }

func (c *callCtx) Err() error {
	err := c.Context.Err()
	if err == nil {
		if time.Now().Before(c.deadline) {
			return nil
		}
		c.expire()
		err = c.Context.Err()
	}
	if context.Cause(c.Context) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return err
}

// stop releases the timer, if one was armed, when the call has ended.
func (c *callCtx) stop() {
	c.mu.Lock()
	c.stopped = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
}

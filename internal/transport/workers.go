package transport

import (
	"context"
	"time"

	"github.com/objrmi/objrmi/internal/wire"
)

// Inbound calls run on the hub's workers (hub.go), which the runtime's
// connections share. A fresh goroutine per call had to grow its stack
// again for every call, which cost as much as the method's own work; a
// parked worker keeps the stack it grew. Sharing them means an idle
// connection parks none: workers follow the calls in flight across the
// runtime, not the connections that exist.

// run starts fn, an inbound call of c, on a worker. The worker releases
// c's count of live goroutines when fn returns. Only the reader runs
// calls, so once it has ended the count only falls.
func (c *Conn) run(fn func()) {
	c.alive.Add(1)
	c.hub.pool.run(task{fn: fn, c: c})
}

// beatWork is what a beat task is asked to do.
type beatWork uint8

const (
	beatOwed beatWork = 1 << iota // write the owed frames (and what writeBehind left)
	beatPing                      // write a ping
	beatIdle                      // close the connection if it is still idle
)

// beat asks for w on a beat task: on a worker, so that neither the hub's
// timer nor a caller nor the reader waits for the socket. One beat task
// at most runs per connection; one asked for while it runs does the new
// work before it ends.
func (c *Conn) beat(w beatWork) {
	c.beatMu.Lock()
	c.beatWant |= w
	if c.beatRunning || c.beatClosed || c.hub == nil { // nil: not started yet
		c.beatMu.Unlock()
		return
	}
	if c.beatWant == 0 {
		c.beatMu.Unlock()
		return
	}
	c.beatRunning = true
	c.beats.Add(1)
	c.beatMu.Unlock()
	c.hub.pool.run(task{fn: c.beatFn})
}

func (c *Conn) beatTask() {
	for {
		c.beatMu.Lock()
		w := c.beatWant
		c.beatWant = 0
		if w == 0 {
			c.beatRunning = false
			c.beatMu.Unlock()
			c.beats.Done()
			return
		}
		c.beatMu.Unlock()
		if w&beatOwed != 0 {
			c.writeOwed()
		}
		if w&beatIdle != 0 && c.idleTooLong() {
			continue
		}
		if w&beatPing != 0 {
			c.write(context.Background(), wire.GetBuffer(wire.KindPing), 0)
		}
	}
}

// endBeats stops new beat tasks and waits for the one running, if any:
// the reader's last act. A beat task on a dead connection ends at once,
// but one the reader asked for (the refusal owed before it stopped
// reading) still writes its frame first, as long as the peer reads it
// within HeartbeatTimeout.
func (c *Conn) endBeats() {
	c.beatMu.Lock()
	c.beatClosed = true
	c.beatMu.Unlock()
	c.beats.Wait()
}

// look is the hub's look at c, every half ping interval, on the hub's
// timer goroutine: it must not block. It notes whether calls moved since
// the last look, asks for the connection's closing once it has carried
// no call for IdleTimeout, and for a ping if nothing was written since
// the last look, so that no gap between frames reaches the ping
// interval. It reports whether c is to be looked at again.
func (c *Conn) look(now time.Time) bool {
	if c.Err() != nil {
		return false
	}
	var w beatWork
	if u := c.used.Load(); u != c.hb.used {
		c.hb.used, c.hb.usedAt = u, now
	} else if c.cfg.IdleTimeout > 0 && now.Sub(c.hb.usedAt) >= c.cfg.IdleTimeout {
		c.idleSince.Store(c.hb.usedAt.UnixNano())
		c.idleUsed.Store(u)
		w |= beatIdle
	}
	if !c.w.wrote.Swap(false) {
		w |= beatPing
	}
	if w != 0 {
		c.beat(w)
	}
	return true
}

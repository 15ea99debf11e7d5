package transport

// Inbound calls run on worker goroutines that the connection keeps
// between calls. A fresh goroutine per call had to grow its stack again
// for every call, which cost as much as the method's own work; a parked
// worker keeps the stack it grew. The heartbeat retires parked workers
// once the connection goes quiet, and all of them end with it.

// run starts fn on a parked worker, or on a new one if none is free.
func (c *Conn) run(fn func()) {
	select {
	case c.idle <- fn:
	default:
		c.alive.Add(1)
		go c.work(fn)
	}
}

func (c *Conn) work(fn func()) {
	defer c.release()
	for fn != nil {
		fn()
		select {
		case fn = <-c.idle:
		case <-c.done:
			return
		}
	}
}

// retireIdle ends every parked worker.
func (c *Conn) retireIdle() {
	for {
		select {
		case c.idle <- nil:
		default:
			return
		}
	}
}

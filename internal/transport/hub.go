package transport

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// Hub is what a runtime's connections share, so that an idle connection
// costs one goroutine (its reader) and no timer of its own:
//
//   - one timer goroutine looks at every connection when its heartbeat
//     is due (a heap keyed by time): it notes whether calls moved, and
//     asks for a ping, or for the connection's closing once it has idled
//     past IdleTimeout;
//   - a pool of worker goroutines does what the connections ask: runs the
//     methods of inbound calls, and writes pings and owed frames (cancels,
//     refusals), so that neither the timer nor a reader ever waits for a
//     socket. A worker keeps the stack it grew between tasks, and the
//     timer retires those the last trimEvery showed were not needed.
//
// A Hub is owned by its runtime, which closes it once its connections
// are closed.
type Hub struct {
	mu    sync.Mutex
	beats beatHeap
	wake  chan struct{} // capacity 1: the heap's head moved earlier
	stop  chan struct{}
	ended chan struct{} // the timer goroutine has returned
	once  sync.Once
	pool  pool
}

// NewHub starts a hub.
func NewHub() *Hub {
	h := &Hub{wake: make(chan struct{}, 1), stop: make(chan struct{}), ended: make(chan struct{})}
	h.pool.init()
	go h.loop()
	return h
}

// Close stops the hub's timer, and its parked workers; workers still
// running a task end once it returns. Connections must be dead first.
func (h *Hub) Close() {
	h.once.Do(func() {
		close(h.stop)
		close(h.pool.stop)
	})
	<-h.ended
}

func (h *Hub) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// add schedules c's first look.
func (h *Hub) add(c *Conn) {
	h.mu.Lock()
	c.hb.at = time.Now().Add(c.every / 2)
	heap.Push(&h.beats, c)
	first := c.hb.index == 0
	h.mu.Unlock()
	if first {
		h.poke()
	}
}

// trimEvery is how often the pool's unneeded parked workers are retired.
const trimEvery = 2 * time.Second

func (h *Hub) loop() {
	defer close(h.ended)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var due []*Conn
	lastTrim := time.Now()
	for {
		now := time.Now()
		h.mu.Lock()
		for len(h.beats) > 0 && !h.beats[0].hb.at.After(now) {
			due = append(due, heap.Pop(&h.beats).(*Conn))
		}
		h.mu.Unlock()
		for i, c := range due {
			due[i] = nil
			if c.look(now) {
				c.hb.at = now.Add(c.every / 2)
				h.mu.Lock()
				heap.Push(&h.beats, c)
				h.mu.Unlock()
			}
		}
		due = due[:0]
		if now.Sub(lastTrim) >= trimEvery {
			h.pool.trim()
			lastTrim = now
		}
		next := time.Hour
		h.mu.Lock()
		if len(h.beats) > 0 {
			next = h.beats[0].hb.at.Sub(now)
		}
		h.mu.Unlock()
		if h.pool.parked.Load() > 0 {
			next = min(next, lastTrim.Add(trimEvery).Sub(now))
		}
		timer.Reset(max(next, time.Millisecond))
		select {
		case <-timer.C:
		case <-h.wake:
			timer.Stop()
		case <-h.stop:
			return
		}
	}
}

// hbState is a connection's place in its hub's heap, and what its last
// look saw. Only the hub's timer goroutine uses used and usedAt.
type hbState struct {
	at     time.Time
	index  int
	used   uint64
	usedAt time.Time
}

type beatHeap []*Conn

func (b beatHeap) Len() int           { return len(b) }
func (b beatHeap) Less(i, j int) bool { return b[i].hb.at.Before(b[j].hb.at) }
func (b beatHeap) Swap(i, j int) {
	b[i], b[j] = b[j], b[i]
	b[i].hb.index, b[j].hb.index = i, j
}
func (b *beatHeap) Push(x any) {
	c := x.(*Conn)
	c.hb.index = len(*b)
	*b = append(*b, c)
}
func (b *beatHeap) Pop() any {
	old := *b
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*b = old[:len(old)-1]
	c.hb.index = -1
	return c
}

// task is work for the pool: fn, then, if c is set, the release of the
// connection whose inbound call fn served.
type task struct {
	fn func()
	c  *Conn
}

// pool is the hub's workers.
type pool struct {
	idle   chan task // a parked worker takes its next task here; a zero task retires it
	stop   chan struct{}
	parked atomic.Int32
	low    atomic.Int32 // the fewest parked since the last trim
}

func (p *pool) init() {
	p.idle = make(chan task)
	p.stop = make(chan struct{})
}

// run starts t on a parked worker, or on a new one if none is free.
func (p *pool) run(t task) {
	select {
	case p.idle <- t:
	default:
		go p.work(t)
	}
}

func (p *pool) work(t task) {
	for t.fn != nil {
		t.fn()
		if t.c != nil {
			t.c.release()
		}
		p.parked.Add(1)
		select {
		case t = <-p.idle:
			n := p.parked.Add(-1)
			for l := p.low.Load(); n < l && !p.low.CompareAndSwap(l, n); l = p.low.Load() {
			}
		case <-p.stop:
			p.parked.Add(-1)
			return
		}
	}
}

// trim retires the workers that stayed parked since the last trim: they
// were not needed.
func (p *pool) trim() {
	n := p.low.Swap(p.parked.Load())
	for range n {
		select {
		case p.idle <- task{}:
		default:
			return
		}
	}
}

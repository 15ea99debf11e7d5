package remote

import (
	"context"
	"sync"
	"sync/atomic"
)

// userWork counts the user code a runtime runs on its own goroutines:
// methods serving calls, and Unreferenced callbacks. Unlike a WaitGroup,
// it can be waited for with a deadline, and says how much is left when
// the deadline wins. Counting costs an atomic add; the lock is taken only
// when the count falls to zero while someone waits.
type userWork struct {
	n       atomic.Int64
	waiting atomic.Bool
	mu      sync.Mutex
	idle    chan struct{} // closed when n falls to 0 while waited for
}

func (w *userWork) add() { w.n.Add(1) }

func (w *userWork) done() {
	if w.n.Add(-1) == 0 && w.waiting.Load() {
		w.mu.Lock()
		if w.idle != nil {
			close(w.idle)
			w.idle = nil
		}
		w.mu.Unlock()
	}
}

// wait returns 0 once no user code runs, or how much still runs when
// ctx ends first.
func (w *userWork) wait(ctx context.Context) int64 {
	for {
		w.mu.Lock()
		w.waiting.Store(true)
		if w.idle == nil {
			w.idle = make(chan struct{})
		}
		idle := w.idle
		w.mu.Unlock()
		// Checked after waiting is set: a done that brings n to 0 from
		// now on sees it, and closes idle.
		if w.n.Load() == 0 {
			return 0
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return w.n.Load()
		}
	}
}

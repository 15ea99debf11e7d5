package refs

import (
	"container/heap"
	"time"
)

// Scheduling. No owner has a goroutine of its own: a reference to a
// runtime that does not exist costs an entry, not a goroutine. One
// scheduler goroutine keeps a timer heap of the owners' next wake-ups and
// moves those that are due to a ready queue; a fixed pool of
// Config.Workers goroutines takes tasks from it, each running one round
// for one owner (or one batch of acknowledgements for one sender) at a
// time. A task is never run by two workers at once: one kicked while it
// runs is queued again when its round ends.
//
// Owners that have never granted a lease (possibly runtimes that do not
// exist, whose dirties wait for a dial timeout) may occupy at most
// Workers-reserved workers, so renewals for owners that answer always
// find a worker.
//
// Everything here is guarded by Table.mu; Close stops the scheduler and
// the workers and waits for them.

// task is a unit of work for the pool: an owner's round, or a sender's
// acknowledgements.
type task interface {
	sched() *slot
	run() // called with no lock held
}

// slot is a task's scheduling state.
type slot struct {
	queued  bool      // in a ready queue
	running bool      // a worker runs it
	again   bool      // kicked while running: queue it once more after
	wakeAt  time.Time // when the timer heap makes it ready; zero: not in the heap
	index   int       // position in the heap, -1 if absent
	claim   bool      // counts against the workers for never-granted owners
}

func (s *slot) sched() *slot { return s }

// reserved is how many workers only owners that granted a lease (and
// acknowledgements) may use.
const reserved = 2

// wake queues tk to run soon. t.mu is held.
func (t *Table) wake(tk task) {
	s := tk.sched()
	switch {
	case t.closed:
	case s.running:
		s.again = true
	case !s.queued:
		s.queued = true
		if s.claim {
			t.claims = append(t.claims, tk)
		} else {
			t.urgent = append(t.urgent, tk)
		}
		if t.idle == 0 && t.workers < t.cfg.Workers {
			// Workers start as work first needs them, so a runtime that
			// holds nothing costs none.
			t.workers++
			t.wg.Add(1)
			go t.worker()
		} else {
			t.work.Signal()
		}
	}
}

// wakeAt makes tk ready at at (zero: only a kick will). t.mu is held.
func (t *Table) wakeAt(tk task, at time.Time) {
	s := tk.sched()
	if s.index >= 0 {
		heap.Remove(&t.timers, s.index)
	}
	s.wakeAt = at
	if at.IsZero() || t.closed {
		return
	}
	heap.Push(&t.timers, tk)
	if !t.ticking {
		t.ticking = true
		t.wg.Add(1)
		go t.scheduler()
	}
	if s.index == 0 {
		select {
		case t.resched <- struct{}{}:
		default:
		}
	}
}

// unschedule takes tk off the timer heap. t.mu is held.
func (t *Table) unschedule(tk task) {
	if s := tk.sched(); s.index >= 0 {
		heap.Remove(&t.timers, s.index)
	}
}

// scheduler moves due tasks from the timer heap to the ready queues.
func (t *Table) scheduler() {
	defer t.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		t.mu.Lock()
		now := time.Now()
		for len(t.timers) > 0 && !t.timers[0].sched().wakeAt.After(now) {
			tk := heap.Pop(&t.timers).(task)
			tk.sched().wakeAt = time.Time{}
			t.wake(tk)
		}
		next := time.Hour
		if len(t.timers) > 0 {
			next = max(time.Until(t.timers[0].sched().wakeAt), time.Millisecond)
		}
		t.mu.Unlock()
		timer.Reset(next)
		select {
		case <-timer.C:
		case <-t.resched:
			if !timer.Stop() {
				<-timer.C
			}
		case <-t.ctx.Done():
			return
		}
	}
}

// worker runs ready tasks until the table closes.
func (t *Table) worker() {
	defer t.wg.Done()
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		tk := t.next()
		if tk == nil {
			if t.closed {
				return
			}
			t.idle++
			t.work.Wait()
			t.idle--
			continue
		}
		s := tk.sched()
		s.queued, s.running = false, true
		claim := s.claim
		if claim {
			t.claiming++
		}
		t.mu.Unlock()
		tk.run()
		t.mu.Lock()
		if claim {
			t.claiming--
			t.work.Signal() // a claim slot is free
		}
		s.running = false
		if s.again {
			s.again = false
			t.wake(tk)
		}
	}
}

// next pops the task a worker should run, or nil. t.mu is held.
func (t *Table) next() task {
	if t.closed {
		return nil
	}
	if len(t.urgent) > 0 {
		tk := t.urgent[0]
		t.urgent[0] = nil
		t.urgent = t.urgent[1:]
		return tk
	}
	if len(t.claims) > 0 && t.claiming < max(t.cfg.Workers-reserved, 1) {
		tk := t.claims[0]
		t.claims[0] = nil
		t.claims = t.claims[1:]
		return tk
	}
	return nil
}

// timerHeap orders tasks by wake-up time.
type timerHeap []task

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].sched().wakeAt.Before(h[j].sched().wakeAt) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].sched().index, h[j].sched().index = i, j
}
func (h *timerHeap) Push(x any) {
	x.(task).sched().index = len(*h)
	*h = append(*h, x.(task))
}
func (h *timerHeap) Pop() any {
	old := *h
	tk := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	tk.sched().index = -1
	return tk
}

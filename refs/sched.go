package refs

import (
	"container/heap"
	"time"
)

// Scheduling. No idle owner has a goroutine of its own: a reference to
// a runtime that does not exist costs an entry, not a goroutine. One
// scheduler goroutine keeps a timer heap of the owners' next wake-ups and
// moves those that are due to a ready queue; a fixed pool of
// Config.Workers goroutines takes tasks from it, each running one round
// for one owner (or one batch of acknowledgements for one sender) at a
// time. A task is never run by two workers at once: one kicked while it
// runs is queued again when its round ends.
//
// A round plans under table.mu (no I/O) and then exchanges messages,
// which wait for the owner up to CallTimeout. Where that wait happens
// depends on the owner, as the task is queued:
//
//   - An owner whose lease on this runtime is current (it granted one that
//     has not run out) is "answering": its exchange runs on a goroutine of
//     its own, and the worker goes back to the queue at once. That
//     goroutine lives only while the messages are in flight, and an owner
//     has at most one exchange at a time, so there are at most as many as
//     owners with a current lease: MaxOwners in all, MaxOwnersPerPeer for
//     those one peer introduced.
//   - Every other task (an owner that never granted a lease, possibly a
//     runtime that does not exist and costs a dial timeout; one whose
//     lease lapsed; a sender's acknowledgements) waits on the worker, and
//     at most Workers-reserved workers wait at once.
//
// Why renewals get through whatever other owners do: answering owners
// are queued ahead of the rest, their rounds never wait for I/O on a
// worker, and at least `reserved` workers never wait for I/O at all
// (given Workers > reserved; the default is 8). So a renewal due to an
// answering owner is on the wire once a worker has planned the answering
// rounds queued before it, which takes only the lock; only that owner's
// own previous exchange, if still in flight, can hold it back. Silent
// owners cannot stand in its way: while their lease is
// current they cost a goroutine each (bounded as above), and once it has
// lapsed, a share of the workers. An owner that answers only after its
// lease lapsed was dropped anyway; it is claimed again at the pace of the
// shared workers.
//
// Everything here is guarded by table.mu; Close stops the scheduler, the
// workers and the exchanges in flight (their context is cancelled) and
// waits for them.

// task is a unit of work for the pool: an owner's round, or a sender's
// acknowledgements.
type task interface {
	sched() *slot
	// waits reports whether the task's run waits for its messages on the
	// worker (it then counts against Workers-reserved); if not, run hands
	// them to a goroutine. t.mu is held.
	waits() bool
	// run is called with no lock held; onWorker is waits() as of when the
	// task was queued. It reports whether it handed its messages to a
	// goroutine, which then ends the run (table.ran) itself.
	run(onWorker bool) (handedOff bool)
}

// slot is a task's scheduling state.
type slot struct {
	queued  bool      // in a ready queue
	running bool      // a worker or an exchange goroutine runs it
	again   bool      // kicked while running: queue it once more after
	wakeAt  time.Time // when the timer heap makes it ready; zero: not in the heap
	index   int       // position in the heap, -1 if absent
	waits   bool      // queued in t.waiting: it waits for I/O on its worker
}

func (s *slot) sched() *slot { return s }

// reserved is how many workers never wait for I/O.
const reserved = 2

// wake queues tk to run soon. t.mu is held.
func (t *table) wake(tk task) {
	s := tk.sched()
	switch {
	case t.closed:
	case s.running:
		s.again = true
	case !s.queued:
		s.queued = true
		s.waits = tk.waits()
		if s.waits {
			t.waiting = append(t.waiting, tk)
		} else {
			t.answering = append(t.answering, tk)
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
func (t *table) wakeAt(tk task, at time.Time) {
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
func (t *table) unschedule(tk task) {
	if s := tk.sched(); s.index >= 0 {
		heap.Remove(&t.timers, s.index)
	}
}

// scheduler moves due tasks from the timer heap to the ready queues.
func (t *table) scheduler() {
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
func (t *table) worker() {
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
		waits := s.waits
		if waits {
			t.blocked++
		}
		t.mu.Unlock()
		handedOff := tk.run(waits)
		t.mu.Lock()
		if waits {
			t.blocked--
			t.work.Signal() // a place for waiting tasks is free
		}
		if !handedOff {
			t.ran(tk)
		}
	}
}

// ran ends tk's run, and queues it again if it was kicked meanwhile.
// t.mu is held.
func (t *table) ran(tk task) {
	s := tk.sched()
	s.running = false
	if s.again {
		s.again = false
		t.wake(tk)
	}
}

// next pops the task a worker should run, or nil. t.mu is held.
func (t *table) next() task {
	if t.closed {
		return nil
	}
	if len(t.answering) > 0 {
		tk := t.answering[0]
		t.answering[0] = nil
		t.answering = t.answering[1:]
		return tk
	}
	if len(t.waiting) > 0 && t.blocked < max(t.cfg.Workers-reserved, 1) {
		tk := t.waiting[0]
		t.waiting[0] = nil
		t.waiting = t.waiting[1:]
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

package etcdstore

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/remote"
)

// ownerHold counts the objects of one owner that this registry holds a
// DGC lease on, and stops the keeper of the owner's etcd lease when
// there are none.
type ownerHold struct {
	n    int
	stop context.CancelFunc
}

// Hold implements registry.SharedStore: while alive is not done, this
// store keeps ref's owner's etcd lease alive.
func (s *Store) Hold(ref remote.Ref, alive context.Context) {
	id := ref.Runtime
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	h := s.holds[id]
	if h == nil {
		h = &ownerHold{}
		s.holds[id] = h
	}
	h.n++
	if h.n == 1 {
		ctx, cancel := context.WithCancel(s.ctx)
		h.stop = cancel
		s.wg.Add(1)
		go s.keep(ctx, id)
	}
	s.mu.Unlock()
	context.AfterFunc(alive, func() { s.unhold(id, h) })
}

func (s *Store) unhold(id uuid.UUID, h *ownerHold) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.n--
	if h.n == 0 {
		h.stop()
		if s.holds[id] == h {
			delete(s.holds, id)
		}
	}
}

// keep keeps the owner's etcd lease alive until ctx ends. If the lease
// expires anyway (every registry lost the owner for a while, or etcd
// was down for longer than the TTL), it waits for the cache to name the
// owner's next lease: the first registry that binds one of its objects
// again grants it.
func (s *Store) keep(ctx context.Context, id uuid.UUID) {
	defer s.wg.Done()
	retry := max(s.opts.LeaseTTL/4, 100*time.Millisecond)
	for {
		s.mu.Lock()
		o := s.owners[id]
		s.mu.Unlock()
		if o.lease != 0 {
			ch, err := s.cli.KeepAlive(ctx, o.lease)
			if err == nil {
				for range ch { // drain, or the client drops responses and floods (etcd-io/etcd#7446)
				}
			}
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

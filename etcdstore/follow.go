package etcdstore

// Follow implements registry.SharedStore.
func (s *Store) Follow(changed func(name string)) (stop func()) {
	s.fmu.Lock()
	id := s.nextID
	s.nextID++
	s.followers[id] = changed
	s.fmu.Unlock()
	return func() {
		s.fmu.Lock()
		delete(s.followers, id)
		s.fmu.Unlock()
	}
}

// FollowGroups implements registry.SharedGroupStore.
func (s *Store) FollowGroups(changed func(group string)) (stop func()) {
	s.fmu.Lock()
	id := s.nextID
	s.nextID++
	s.gfollow[id] = changed
	s.fmu.Unlock()
	return func() {
		s.fmu.Lock()
		delete(s.gfollow, id)
		s.fmu.Unlock()
	}
}

// groupChanged queues group for the group followers, as changed does
// names. s.mu is held.
func (s *Store) groupChanged(group string) {
	s.gpending[group] = struct{}{}
	select {
	case s.pendingCh <- struct{}{}:
	default:
	}
}

// changed queues name for the followers. The queue holds each name
// once, so it is bounded by the names in the store. s.mu is held.
func (s *Store) changed(name string) {
	s.pending[name] = struct{}{}
	select {
	case s.pendingCh <- struct{}{}:
	default:
	}
}

// notifyLoop tells the followers of changed names, with no lock of the
// cache held: a follower reads the cache (Cached) and may take its own
// locks, under which the registry calls this store.
func (s *Store) notifyLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.pendingCh:
		}
		s.mu.Lock()
		names, groups := s.pending, s.gpending
		s.pending, s.gpending = make(map[string]struct{}), make(map[string]struct{})
		s.mu.Unlock()
		s.fmu.Lock()
		for name := range names {
			for _, f := range s.followers {
				f(name)
			}
		}
		for group := range groups {
			for _, f := range s.gfollow {
				f(group)
			}
		}
		s.fmu.Unlock()
	}
}

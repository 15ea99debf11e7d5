package etcdstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/objrmi/objrmi/registry"
)

var errWatchEnded = errors.New("etcdstore: the watch ended")

// watchLoop keeps the cache: a full read, then a watch from the next
// revision, again after every break. The first outcome goes to first.
func (s *Store) watchLoop(first chan<- error) {
	defer s.wg.Done()
	backoff := 50 * time.Millisecond
	for s.ctx.Err() == nil {
		err := s.sync(first)
		s.mu.Lock()
		wasSynced := s.synced
		s.synced = false
		s.mu.Unlock()
		if s.ctx.Err() != nil {
			return
		}
		if wasSynced {
			s.opts.Logger.Warn("etcdstore: lost the watch on etcd; reading the store again", "err", err)
		}
		first = nil
		t := time.NewTimer(backoff)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}

// sync reads every key, installs them, and follows the watch until it
// breaks. A watch that requires a leader is cancelled by an etcd member
// that loses its quorum, so a cut-off registry notices.
func (s *Store) sync(first chan<- error) error {
	started := time.Now()
	ctx, cancel := s.bound(context.Background())
	resp, err := s.cli.Get(ctx, s.root, clientv3.WithPrefix())
	cancel()
	if err == nil {
		s.install(resp.Kvs, resp.Header.Revision, started)
	}
	if first != nil {
		first <- err // after install: Open returns a store that answers
	}
	if err != nil {
		return err
	}
	wctx, wcancel := context.WithCancel(clientv3.WithRequireLeader(s.ctx))
	defer wcancel()
	wch := s.cli.Watch(wctx, s.root, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1),
		clientv3.WithProgressNotify())
	for wr := range wch {
		if err := wr.Err(); err != nil {
			return err
		}
		s.apply(wr.Events, wr.Header.Revision)
	}
	return errWatchEnded
}

// install replaces the cache with a full read at rev, keeping this
// store's own writes that are newer.
func (s *Store) install(kvs []*mvccpb.KeyValue, rev int64, started time.Time) {
	bindings := make(map[string]entry, len(kvs))
	owners := make(map[uuid.UUID]ownerEntry)
	groups := make(map[string]map[string]member)
	for _, kv := range kvs {
		if !s.decodeMember(kv, groups) {
			s.decode(kv, bindings, owners)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.installGroups(groups, rev)
	for name, e := range s.bindings {
		if n, ok := bindings[name]; e.mod > rev || (ok && n.mod < e.mod) {
			bindings[name] = e
		}
	}
	for name, t := range s.tombs {
		if t > rev {
			delete(bindings, name)
		} else {
			delete(s.tombs, name)
		}
	}
	for id, o := range s.owners {
		if o.mod > rev {
			owners[id] = o
		}
	}
	for name, e := range s.bindings {
		if n, ok := bindings[name]; !ok || n.mod != e.mod {
			s.changed(name)
		}
	}
	for name := range bindings {
		if _, ok := s.bindings[name]; !ok {
			s.changed(name)
		}
	}
	s.bindings, s.owners = bindings, owners
	s.synced = true
	s.advance(rev)
	s.provenAt = started
}

// apply brings a batch of watch events into the cache.
func (s *Store) apply(events []*clientv3.Event, rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range events {
		if s.applyMember(ev) {
			continue
		}
		kv := ev.Kv
		key := string(kv.Key)
		if name, ok := strings.CutPrefix(key, s.root+"bindings/"); ok {
			if e, ok := s.bindings[name]; ok && e.mod > kv.ModRevision {
				continue // this store's newer write is in already
			}
			if t, ok := s.tombs[name]; ok && t > kv.ModRevision {
				continue
			}
			if ev.Type == mvccpb.DELETE {
				delete(s.bindings, name)
			} else {
				s.decode(kv, s.bindings, nil)
			}
			s.changed(name)
			continue
		}
		if idText, ok := strings.CutPrefix(key, s.root+"owners/"); ok {
			id, err := uuid.Parse(idText)
			if err != nil {
				continue
			}
			if o, ok := s.owners[id]; ok && o.mod > kv.ModRevision {
				continue
			}
			if ev.Type == mvccpb.DELETE {
				delete(s.owners, id)
			} else {
				s.owners[id] = ownerEntry{lease: clientv3.LeaseID(kv.Lease), mod: kv.ModRevision}
			}
		}
	}
	for name, t := range s.tombs {
		if t <= rev {
			delete(s.tombs, name)
		}
	}
	for k, t := range s.gtombs {
		if t <= rev {
			delete(s.gtombs, k)
		}
	}
	s.advance(rev)
}

// decode adds one key to the maps given (owners may be nil).
func (s *Store) decode(kv *mvccpb.KeyValue, bindings map[string]entry, owners map[uuid.UUID]ownerEntry) {
	key := string(kv.Key)
	if name, ok := strings.CutPrefix(key, s.root+"bindings/"); ok {
		b, err := decodeBinding(name, kv.Value)
		if err != nil {
			s.opts.Logger.Error("etcdstore: skipping a binding", "key", key, "err", err)
			delete(bindings, name)
			return
		}
		bindings[name] = entry{b: b, mod: kv.ModRevision, lease: clientv3.LeaseID(kv.Lease)}
		return
	}
	if idText, ok := strings.CutPrefix(key, s.root+"owners/"); ok && owners != nil {
		if id, err := uuid.Parse(idText); err == nil {
			owners[id] = ownerEntry{lease: clientv3.LeaseID(kv.Lease), mod: kv.ModRevision}
		}
	}
}

// advance records that the cache holds every change up to rev. s.mu is
// held.
func (s *Store) advance(rev int64) {
	if rev > s.rev {
		s.rev = rev
		close(s.revCh)
		s.revCh = make(chan struct{})
	}
}

// probeLoop proves, every ProbeInterval, that the cache is current: a
// quorum read learns the store's revision, and once the watch has
// brought the cache there, the cache held every write acknowledged
// before the read began.
func (s *Store) probeLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if err := s.probe(); err != nil && s.ctx.Err() == nil {
			s.opts.Logger.Debug("etcdstore: probe failed", "err", err)
		}
	}
}

func (s *Store) probe() error {
	ctx, cancel := s.bound(context.Background())
	defer cancel()
	return s.catchUp(ctx)
}

// catchUp returns once the cache holds every write etcd acknowledged
// before it was called: a quorum read learns the store's revision, and
// the watch brings the cache there. It proves the cache current.
func (s *Store) catchUp(ctx context.Context) error {
	started := time.Now()
	resp, err := s.cli.Get(ctx, s.probeKey(), clientv3.WithCountOnly())
	if err != nil {
		return err
	}
	want := resp.Header.Revision
	s.mu.Lock()
	ch, have := s.revCh, s.rev
	s.mu.Unlock()
	if have < want {
		// The watch moves the cache's revision with events and progress
		// notifications only: ask for one.
		if err := s.cli.RequestProgress(clientv3.WithRequireLeader(ctx)); err != nil {
			return err
		}
	}
	for have < want {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-ch:
		}
		s.mu.Lock()
		ch, have = s.revCh, s.rev
		s.mu.Unlock()
	}
	s.mu.Lock()
	if s.synced && started.After(s.provenAt) {
		s.provenAt = started
	}
	s.mu.Unlock()
	return nil
}

// fresh says whether the cache may answer a lookup now: proven current
// within MaxAge, or within StaleLookups if the user allows stale answers
// (then stale is true). s.mu is held.
func (s *Store) fresh() (ok, stale bool, age time.Duration) {
	age = time.Since(s.provenAt)
	if s.synced && age <= s.opts.MaxAge {
		return true, false, age
	}
	if s.opts.StaleLookups > 0 && age <= s.opts.StaleLookups && !s.provenAt.IsZero() {
		return true, true, age
	}
	return false, false, age
}

// warnStale logs a stale answer, at most once a second. s.mu is held.
func (s *Store) warnStale(op, name string, age time.Duration) {
	if time.Since(s.staleLog) < time.Second {
		return
	}
	s.staleLog = time.Now()
	s.opts.Logger.Warn("etcdstore: etcd cannot be reached: answering from the cache, which may be stale (StaleLookups)",
		"op", op, "name", name, "age", age.Round(time.Millisecond))
}

// Get implements registry.Store: from the cache if it holds the name, or
// a quorum read if not (see the package comment).
func (s *Store) Get(ctx context.Context, name string) (registry.Binding, error) {
	s.mu.Lock()
	e, found := s.bindings[name]
	ok, stale, age := s.fresh()
	if ok && stale {
		s.warnStale("lookup", name, age)
	}
	s.mu.Unlock()
	switch {
	case !ok:
		return registry.Binding{}, readFailed("lookup", name, errCacheOld(age))
	case found:
		return e.b, nil
	case stale:
		return registry.Binding{}, notBound(name)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	resp, err := s.cli.Get(ctx, s.bindingKey(name))
	if err != nil {
		return registry.Binding{}, readFailed("lookup", name, err)
	}
	if len(resp.Kvs) == 0 {
		return registry.Binding{}, notBound(name)
	}
	b, err := decodeBinding(name, resp.Kvs[0].Value)
	if err != nil {
		return registry.Binding{}, notBound(name) // logged when the watch brings it
	}
	return b, nil
}

// List implements registry.Store, from the cache.
func (s *Store) List(context.Context) ([]registry.Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, stale, age := s.fresh()
	if !ok {
		return nil, readFailed("list", "", errCacheOld(age))
	}
	if stale {
		s.warnStale("list", "", age)
	}
	out := make([]registry.Binding, 0, len(s.bindings))
	for _, e := range s.bindings {
		out = append(out, e.b)
	}
	slices.SortFunc(out, byName)
	return out, nil
}

// Cached implements registry.SharedStore.
func (s *Store) Cached(name string) (registry.Binding, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.bindings[name]
	return e.b, ok
}

// cacheOld is the cause of a lookup refused for want of a current view.
type cacheOld time.Duration

func errCacheOld(age time.Duration) error { return cacheOld(age) }

func (c cacheOld) Error() string {
	if time.Duration(c) > 24*time.Hour {
		return "the cache has never been proven current"
	}
	return "etcd has not confirmed the cache for " + time.Duration(c).Round(time.Millisecond).String()
}

package etcdstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Replica groups (registry.GroupStore): one key per member,
// PREFIX/v1/groups/GROUP/RUNTIME.OBJECT, holding the member's reference
// as a binding holds one, and attached to the member owner's lease as
// its bindings are. The members are cached as bindings are (the watch
// feeds both), and their order is their keys' creation.

var _ registry.SharedGroupStore = (*Store)(nil)

// member is a cached group member, with its key's revisions.
type member struct {
	ref    remote.Ref
	create int64 // the join: members are listed in this order
	mod    int64
}

func (s *Store) groupPrefix(group string) string { return s.root + "groups/" + group + "/" }

// memberID names a member within its group's keys: its runtime and
// object, which is what makes two references the same member.
func memberID(ref remote.Ref) string {
	return ref.Runtime.String() + "." + strconv.FormatUint(ref.Object, 10)
}

// splitMember reads GROUP/RUNTIME.OBJECT (the key after PREFIX/v1/groups/).
// Group names may hold '/', member ids never do.
func splitMember(rest string) (group, id string, ok bool) {
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 || i == len(rest)-1 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// decodeMember adds a member key to groups, and says whether kv was one.
func (s *Store) decodeMember(kv *mvccpb.KeyValue, groups map[string]map[string]member) bool {
	rest, ok := strings.CutPrefix(string(kv.Key), s.root+"groups/")
	if !ok {
		return false
	}
	group, id, ok := splitMember(rest)
	if !ok {
		return true
	}
	b, err := decodeBinding(rest, kv.Value)
	if err == nil && memberID(b.Ref) != id {
		err = fmt.Errorf("%w: %q holds another member, %s", errBadValue, rest, b.Ref)
	}
	if err != nil {
		s.opts.Logger.Error("etcdstore: skipping a group member", "key", string(kv.Key), "err", err)
		if m := groups[group]; m != nil {
			delete(m, id)
		}
		return true
	}
	m := groups[group]
	if m == nil {
		m = make(map[string]member)
		groups[group] = m
	}
	m[id] = member{ref: b.Ref, create: kv.CreateRevision, mod: kv.ModRevision}
	return true
}

// installGroups replaces the cached members with a full read at rev,
// keeping this store's own newer writes. s.mu is held.
func (s *Store) installGroups(groups map[string]map[string]member, rev int64) {
	for group, ms := range s.groups {
		for id, m := range ms {
			if n, ok := groups[group][id]; m.mod > rev || (ok && n.mod < m.mod) {
				if groups[group] == nil {
					groups[group] = make(map[string]member)
				}
				groups[group][id] = m
			}
		}
	}
	for k, t := range s.gtombs {
		if t > rev {
			if ms := groups[k.group]; ms != nil {
				delete(ms, k.id)
				if len(ms) == 0 {
					delete(groups, k.group)
				}
			}
		} else {
			delete(s.gtombs, k)
		}
	}
	for group, ms := range s.groups {
		if !sameMembers(ms, groups[group]) {
			s.groupChanged(group)
		}
	}
	for group := range groups {
		if _, ok := s.groups[group]; !ok {
			s.groupChanged(group)
		}
	}
	s.groups = groups
}

func sameMembers(a, b map[string]member) bool {
	if len(a) != len(b) {
		return false
	}
	for id, m := range a {
		if n, ok := b[id]; !ok || n.mod != m.mod {
			return false
		}
	}
	return true
}

// applyMember brings one watch event on a member key into the cache,
// and says whether key was one. s.mu is held.
func (s *Store) applyMember(ev *clientv3.Event) bool {
	kv := ev.Kv
	rest, ok := strings.CutPrefix(string(kv.Key), s.root+"groups/")
	if !ok {
		return false
	}
	group, id, ok := splitMember(rest)
	if !ok {
		return true
	}
	if m, ok := s.groups[group][id]; ok && m.mod > kv.ModRevision {
		return true // this store's newer write is in already
	}
	if t, ok := s.gtombs[groupMember{group, id}]; ok && t > kv.ModRevision {
		return true
	}
	if ev.Type == mvccpb.DELETE {
		s.forgetMember(group, id)
	} else {
		s.decodeMember(kv, s.groups)
	}
	s.groupChanged(group)
	return true
}

// groupMember is a member's place in the cache: its group and id.
type groupMember struct{ group, id string }

// forgetMember drops a member from the cache. s.mu is held.
func (s *Store) forgetMember(group, id string) {
	if ms := s.groups[group]; ms != nil {
		delete(ms, id)
		if len(ms) == 0 {
			delete(s.groups, group)
		}
	}
}

// wroteMember puts this store's own write of a member into its cache at
// once (m nil for a delete), as wrote does for bindings.
func (s *Store) wroteMember(group, id string, m *member, rev int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.groups[group][id]; ok && cur.mod > rev {
		return
	}
	k := groupMember{group, id}
	if t, ok := s.gtombs[k]; ok && t > rev {
		return
	}
	if m == nil {
		s.forgetMember(group, id)
		if rev > s.rev {
			s.gtombs[k] = rev
		}
	} else {
		if s.groups[group] == nil {
			s.groups[group] = make(map[string]member)
		}
		s.groups[group][id] = *m
		delete(s.gtombs, k)
	}
	s.groupChanged(group)
}

// GroupJoin implements registry.GroupStore: a transaction that puts the
// member's key, on its owner's lease, only if it does not exist.
func (s *Store) GroupJoin(ctx context.Context, group string, ref remote.Ref) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := encodeBinding(registry.Binding{Name: group, Ref: ref, Bound: time.Now()})
	if err != nil {
		return fmt.Errorf("etcdstore: join %q: %w: %w", group, registry.ErrStore, err)
	}
	id := memberID(ref)
	key := s.groupPrefix(group) + id
	for try := 0; ; try++ {
		lease, err := s.leaseFor(ctx, ref)
		if err != nil {
			return writeFailed("join", group, err)
		}
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, string(v), clientv3.WithLease(lease))).
			Else(clientv3.OpGet(key)).
			Commit()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && try < leaseTries {
			s.forgetOwner(ref, lease)
			continue
		}
		if err != nil {
			return writeFailed("join", group, err)
		}
		rev := resp.Header.Revision
		if resp.Succeeded {
			s.wroteMember(group, id, &member{ref: ref, create: rev, mod: rev}, rev)
			return nil
		}
		// A member already: it stays as it is (and the watch brings it,
		// if this cache has not seen it yet).
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			if b, err := decodeBinding(group, kvs[0].Value); err == nil {
				s.wroteMember(group, id, &member{ref: b.Ref, create: kvs[0].CreateRevision, mod: kvs[0].ModRevision}, kvs[0].ModRevision)
			}
		}
		return nil
	}
}

// GroupLeave implements registry.GroupStore.
func (s *Store) GroupLeave(ctx context.Context, group string, ref remote.Ref) (bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	id := memberID(ref)
	resp, err := s.cli.Delete(ctx, s.groupPrefix(group)+id, clientv3.WithPrevKV())
	if err != nil {
		return false, writeFailed("leave", group, err)
	}
	s.wroteMember(group, id, nil, resp.Header.Revision)
	return len(resp.PrevKvs) > 0, nil
}

// GroupMembers implements registry.GroupStore: from the cache, once it
// has caught up with etcd (a quorum read of the store's revision, no
// member crosses the network), so that a member joined through any
// registry is listed as soon as its Join has returned.
func (s *Store) GroupMembers(ctx context.Context, group string) ([]remote.Ref, error) {
	s.mu.Lock()
	ok, stale, age := s.fresh()
	s.mu.Unlock()
	if !ok {
		return nil, readFailed("members", group, errCacheOld(age))
	}
	if !stale {
		ctx, cancel := s.bound(ctx)
		err := s.catchUp(ctx)
		cancel()
		if err != nil && s.opts.StaleLookups == 0 {
			return nil, readFailed("members", group, err)
		}
		stale = err != nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if stale {
		s.warnStale("members", group, time.Since(s.provenAt))
	}
	return s.members(group), nil
}

// CachedMembers implements registry.SharedGroupStore.
func (s *Store) CachedMembers(group string) []remote.Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.members(group)
}

// members lists group's cached members in the order they joined. s.mu
// is held.
func (s *Store) members(group string) []remote.Ref {
	ms := make([]member, 0, len(s.groups[group]))
	for _, m := range s.groups[group] {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b member) int {
		return cmp.Or(cmp.Compare(a.create, b.create), cmp.Compare(memberID(a.ref), memberID(b.ref)))
	})
	out := make([]remote.Ref, len(ms))
	for i, m := range ms {
		out[i] = m.ref
	}
	return out
}

// Groups implements registry.GroupStore, from the cache, as List does.
func (s *Store) Groups(context.Context) (map[string][]remote.Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, stale, age := s.fresh()
	if !ok {
		return nil, readFailed("groups", "", errCacheOld(age))
	}
	if stale {
		s.warnStale("groups", "", age)
	}
	out := make(map[string][]remote.Ref, len(s.groups))
	for g := range s.groups {
		out[g] = s.members(g)
	}
	return out, nil
}

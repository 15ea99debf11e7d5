package registry

import (
	"context"
	"errors"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// SharedGroupStore is a GroupStore that several registries use at once
// (the etcd store). A registry whose store is both a SharedStore and a
// SharedGroupStore treats members as SharedStore says it treats
// bindings: it holds every member in the store, not only those joined
// through itself; it tells its watchers of joins and leaves made through
// any registry; it tells the store how long it holds each member (Hold),
// so that the store keeps the members of owners some registry reaches;
// and when it merely stops reaching an owner (objerr.ErrLeaseLapsed) it
// leaves the member to the store.
type SharedGroupStore interface {
	GroupStore
	// FollowGroups calls changed, from one goroutine of the store's, each
	// time the members of group may have changed, through any registry;
	// until stop is called. changed may block.
	FollowGroups(changed func(group string)) (stop func())
	// CachedMembers returns group's members as this registry last saw
	// them, in the order they joined, without asking the store; it
	// reflects this registry's own writes as soon as they return.
	CachedMembers(group string) []remote.Ref
}

// sharedGroups returns the store as a SharedGroupStore and a
// SharedStore, if it is both.
func (gs *groupServer) sharedGroups() (SharedGroupStore, SharedStore, bool) {
	sg, ok := gs.store.(SharedGroupStore)
	ss, ok2 := gs.s.shared()
	return sg, ss, ok && ok2
}

// follow brings the registry's holds on group's members, and its
// watchers, in line with the members the shared store has now: a member
// joined through another registry is held here too, one gone elsewhere
// is released, and the watchers hear of both. A member this registry
// lost the lease on is not held again until it joins again: holding it
// would keep its owner's store lease alive.
func (gs *groupServer) follow(group string) {
	sg, _, _ := gs.sharedGroups()
	gs.mu.Lock()
	if gs.closed {
		gs.mu.Unlock()
		return
	}
	members := sg.CachedMembers(group)
	in := make(map[memberKey]bool, len(members))
	for _, m := range members {
		key := memberKey{group, m.Runtime, m.Object}
		in[key] = true
		if gs.held[key] == nil && !gs.lapsed[key] {
			gs.hold(group, m, remote.Dynamic(gs.s.rt, m))
		}
	}
	var gone []*binding
	for key, b := range gs.held {
		if key.group == group && !in[key] {
			delete(gs.held, key)
			gone = append(gone, b)
		}
	}
	for key := range gs.lapsed {
		if key.group == group && !in[key] {
			delete(gs.lapsed, key)
		}
	}
	gs.changedLocked(group)
	gs.mu.Unlock()
	for _, b := range gone {
		b.end()
	}
}

// keepsLapsed says whether a member lost for why stays in the store: on
// a shared store, a lapsed lease is this registry's view only, and the
// store's owner lease decides.
func (gs *groupServer) keepsLapsed(why error) bool {
	_, _, ok := gs.sharedGroups()
	return ok && errors.Is(why, objerr.ErrLeaseLapsed)
}

// holdShared tells a shared store that the registry holds member until
// the returned func is called or lost ends. Without one it does nothing.
func (gs *groupServer) holdShared(member remote.Ref, lost context.Context) (release func()) {
	if _, ss, ok := gs.sharedGroups(); ok {
		held, release := context.WithCancel(lost)
		ss.Hold(member, held)
		return release
	}
	return func() {}
}

// members are group's members for a watcher: on a shared store, those
// the registry's copy holds, which follows the store without a round
// trip for each watcher, and does not end the watches while the store
// cannot be reached.
func (gs *groupServer) members(ctx context.Context, group string) ([]remote.Ref, error) {
	if sg, _, ok := gs.sharedGroups(); ok {
		return sg.CachedMembers(group), nil
	}
	return gs.store.GroupMembers(ctx, group)
}

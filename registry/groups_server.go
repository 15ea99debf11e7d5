package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/remote"
	"github.com/objrmi/objrmi/stub"
)

// The registry's side of the groups: Serve exports a groupServer at
// GroupsID. It holds a lease on each member, as it does on each bound
// object, and drops a member whose owner is gone. Watchers each have at
// most one goroutine, sending the members as they are at each send,
// while changes are pending.
//
// Concurrency: mu guards the tables; no remote call is made under it.
// wg counts the member-loss callbacks and the watchers' senders.

// Bounds on what callers can make a registry hold for groups.
const (
	maxMembersPerGroup = 1024
	maxWatchersPerName = 256
	maxWatchersPerPeer = 256 // one caller (runtime id): others keep room
	maxWatchers        = 4096
	changedTimeout     = 10 * time.Second
)

type groupServer struct {
	s     *Server
	store GroupStore // nil: the store keeps no groups
	ref   remote.Ref // its export

	mu       sync.Mutex
	closed   bool
	held     map[memberKey]*binding
	lapsed   map[memberKey]bool // on a shared store: lost here, left to the store (groups_shared.go)
	watchers map[string][]*watcher
	unfollow func() // stops a SharedGroupStore's change feed; nil otherwise
	nwatch   int
	byPeer   map[uuid.UUID]int // watches per calling runtime
	wg       sync.WaitGroup
}

type memberKey struct {
	group   string
	runtime uuid.UUID
	object  uint64
}

type watcher struct {
	group   string
	peer    uuid.UUID // the caller that set it; uuid.Nil in-process
	l       MembersListener
	stop    func() // stops watching l's owner
	pending bool   // a change not sent yet
	running bool   // its sender goroutine runs
	ended   bool
}

// serveGroups exports the groups at GroupsID and takes up the members
// already in the store.
func (s *Server) serveGroups() error {
	gs := &groupServer{s: s, held: make(map[memberKey]*binding), lapsed: make(map[memberKey]bool),
		watchers: make(map[string][]*watcher), byPeer: make(map[uuid.UUID]int)}
	gs.store, _ = s.opts.Store.(GroupStore)
	s.groups = gs
	if sg, _, ok := gs.sharedGroups(); ok {
		// Before Groups: a join made elsewhere meanwhile is not missed.
		gs.unfollow = sg.FollowGroups(gs.follow)
	}
	if gs.store != nil {
		all, err := gs.store.Groups(context.Background())
		if err != nil {
			return err
		}
		gs.mu.Lock()
		for name, members := range all {
			for _, m := range members {
				if gs.held[memberKey{name, m.Runtime, m.Object}] == nil { // else follow was first
					gs.hold(name, m, remote.Dynamic(s.rt, m))
				}
			}
		}
		gs.mu.Unlock()
	}
	var err error
	gs.ref, err = remote.Export[Groups](s.rt, gs, remote.WithID(GroupsID), remote.WithAuthorize(gs.authorize))
	return err
}

// close ends the holds and the watches.
func (gs *groupServer) close() {
	if gs.unfollow != nil {
		gs.unfollow()
	}
	if gs.ref != (remote.Ref{}) {
		gs.s.rt.Unexport(gs.ref)
	}
	gs.mu.Lock()
	gs.closed = true
	held, watchers := gs.held, gs.watchers
	gs.held, gs.watchers = nil, nil
	gs.mu.Unlock()
	for _, b := range held {
		b.end()
	}
	for _, ws := range watchers {
		for _, w := range ws {
			w.stop()
			remote.Release(w.l)
		}
	}
	gs.wg.Wait()
}

func (gs *groupServer) authorize(ctx context.Context, call remote.Call) error {
	switch call.Method {
	case "Join":
		return gs.s.opts.Access(ctx, OpJoin)
	case "Leave":
		return gs.s.opts.Access(ctx, OpLeave)
	}
	return nil
}

func (gs *groupServer) ready(ctx context.Context, op Op, group string) error {
	if err := gs.s.allow(ctx, op, group); err != nil {
		return err
	}
	if gs.store == nil {
		return ErrNoGroups
	}
	return nil
}

// Join implements Groups.
func (gs *groupServer) Join(ctx context.Context, group string, member remote.Ref) error {
	if err := gs.ready(ctx, OpJoin, group); err != nil {
		return err
	}
	if member.Runtime == [16]byte{} || member.Endpoint == "" || member.Object < remote.FirstDynamicID {
		return fmt.Errorf("%w: %s: a member must be callable by other runtimes (a listener) and at a dynamic id (exported without WithID), so that the registry can hold a lease on it",
			ErrBadReference, member)
	}
	member.Pin = 0
	key := memberKey{group, member.Runtime, member.Object}
	gs.mu.Lock()
	_, dup := gs.held[key]
	gs.mu.Unlock()
	if dup {
		return nil
	}
	// A shared store counts from its copy, as bind's taken does: the
	// bound is not worth a round trip to a store that may not answer.
	if n, err := gs.members(ctx, group); err != nil {
		return gs.s.storeFault(string(OpJoin), group, err)
	} else if len(n) >= maxMembersPerGroup {
		return fmt.Errorf("%w: group %q has %d members, the most a group may have", ErrStore, group, len(n))
	}
	h := remote.Dynamic(gs.s.rt, member)
	cctx, cancel := context.WithTimeout(ctx, gs.s.opts.ConfirmTimeout)
	err := gs.s.rt.Confirm(cctx, h)
	cancel()
	if err != nil {
		h.Release()
		return fmt.Errorf("%w: %s: %w", ErrBadReference, member, err)
	}
	gs.mu.Lock()
	if gs.closed || gs.held[key] != nil {
		gs.mu.Unlock()
		h.Release()
		if gs.closed {
			return errors.New("objrmi registry: the registry is closed")
		}
		return nil
	}
	if err := gs.store.GroupJoin(ctx, group, member); err != nil {
		gs.mu.Unlock()
		h.Release()
		return gs.s.storeFault(string(OpJoin), group, err)
	}
	gs.hold(group, member, h)
	delete(gs.lapsed, key)
	gs.changedLocked(group)
	gs.mu.Unlock()
	gs.s.opts.Logger.Info("objrmi registry: join", "group", group, "ref", member.String())
	return nil
}

// hold makes the registry a holder of member, and drops it from group
// once it is lost. gs.mu is held.
func (gs *groupServer) hold(group string, member remote.Ref, h *stub.Dynamic) {
	key := memberKey{group, member.Runtime, member.Object}
	b := &binding{ref: member, handle: h}
	gs.held[key] = b
	gs.wg.Add(1)
	lost := gs.s.rt.Watch(h)
	stop := context.AfterFunc(lost, func() {
		defer gs.wg.Done()
		gs.lost(group, key, b, context.Cause(lost))
	})
	release := gs.holdShared(member, lost)
	b.stop = func() {
		release()
		if stop() {
			gs.wg.Done()
		}
	}
}

// lost drops a member whose owner is gone.
func (gs *groupServer) lost(group string, key memberKey, b *binding, why error) {
	gs.mu.Lock()
	if gs.closed || gs.held[key] != b {
		gs.mu.Unlock()
		return
	}
	delete(gs.held, key)
	if gs.keepsLapsed(why) {
		gs.lapsed[key] = true
		gs.mu.Unlock()
		b.handle.Release()
		gs.s.opts.Logger.Warn("objrmi registry: lost the lease on a group member; the shared store removes it unless another registry still reaches its owner",
			"group", group, "ref", b.ref.String(), "why", why.Error())
		return
	}
	if _, err := gs.store.GroupLeave(context.Background(), group, b.ref); err != nil {
		gs.s.opts.Logger.Error("objrmi registry: the store kept a lost member", "group", group, "err", err)
	}
	gs.changedLocked(group)
	gs.mu.Unlock()
	b.handle.Release()
	gs.s.opts.Logger.Warn("objrmi registry: removed a group member: its object is gone or unreachable",
		"group", group, "ref", b.ref.String(), "why", why.Error())
}

// Leave implements Groups.
func (gs *groupServer) Leave(ctx context.Context, group string, member remote.Ref) error {
	if err := gs.ready(ctx, OpLeave, group); err != nil {
		return err
	}
	key := memberKey{group, member.Runtime, member.Object}
	gs.mu.Lock()
	was, err := gs.store.GroupLeave(ctx, group, member)
	if err != nil {
		gs.mu.Unlock()
		return gs.s.storeFault(string(OpLeave), group, err)
	}
	b := gs.held[key]
	delete(gs.held, key)
	if was {
		gs.changedLocked(group)
	}
	gs.mu.Unlock()
	if b != nil {
		b.end()
	}
	if !was {
		return fmt.Errorf("%w: %s in %q", ErrNotMember, member, group)
	}
	gs.s.opts.Logger.Info("objrmi registry: leave", "group", group, "ref", member.String())
	return nil
}

// Members implements Groups.
func (gs *groupServer) Members(ctx context.Context, group string) ([]remote.Ref, error) {
	if ctx == nil {
		return nil, nilContext("members")
	}
	if err := CheckName(group); err != nil {
		return nil, err
	}
	if gs.store == nil {
		return nil, ErrNoGroups
	}
	m, err := gs.store.GroupMembers(ctx, group)
	if err != nil {
		return nil, gs.s.storeFault("members", group, err)
	}
	return m, nil
}

// Watch implements Groups.
func (gs *groupServer) Watch(ctx context.Context, group string, l MembersListener) error {
	if ctx == nil {
		return nilContext("watch")
	}
	if err := CheckName(group); err != nil {
		return err
	}
	if gs.store == nil {
		return ErrNoGroups
	}
	if l == nil {
		return errors.New("objrmi registry: Watch: nil listener")
	}
	w := &watcher{group: group, l: l}
	w.peer, _ = remote.Caller(ctx)
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if gs.closed {
		return errors.New("objrmi registry: the registry is closed")
	}
	if len(gs.watchers[group]) >= maxWatchersPerName || gs.nwatch >= maxWatchers {
		return fmt.Errorf("%w: too many watches (%d on %q, %d in all)", ErrStore, len(gs.watchers[group]), group, gs.nwatch)
	}
	if w.peer != uuid.Nil && gs.byPeer[w.peer] >= maxWatchersPerPeer {
		return fmt.Errorf("%w: too many watches by this caller (%d, the most one runtime may set): release group stubs or watches it no longer needs",
			ErrStore, gs.byPeer[w.peer])
	}
	gs.watchers[group] = append(gs.watchers[group], w)
	gs.nwatch++
	if w.peer != uuid.Nil {
		gs.byPeer[w.peer]++
	}
	// Gone with the listener's owner (a client that died): its lease
	// here lapses, and the watch ends.
	lost := gs.s.rt.Watch(l)
	gs.wg.Add(1)
	stop := context.AfterFunc(lost, func() {
		defer gs.wg.Done()
		gs.unwatch(w)
	})
	w.stop = func() {
		if stop() {
			gs.wg.Done()
		}
	}
	w.pending = true
	gs.sendLocked(w)
	return nil
}

// changedLocked marks group's watchers as owed the members. gs.mu is held.
func (gs *groupServer) changedLocked(group string) {
	for _, w := range gs.watchers[group] {
		w.pending = true
		gs.sendLocked(w)
	}
}

// sendLocked starts w's sender if it is not running. gs.mu is held.
func (gs *groupServer) sendLocked(w *watcher) {
	if w.running || w.ended {
		return
	}
	w.running = true
	gs.wg.Add(1)
	go gs.sender(w)
}

// sender tells w the members while changes are pending.
func (gs *groupServer) sender(w *watcher) {
	defer gs.wg.Done()
	for {
		gs.mu.Lock()
		if !w.pending || w.ended || gs.closed {
			w.running = false
			gs.mu.Unlock()
			return
		}
		w.pending = false
		gs.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), changedTimeout)
		members, err := gs.members(ctx, w.group)
		if err == nil {
			err = w.l.Changed(ctx, w.group, members)
		}
		cancel()
		if err != nil {
			gs.s.opts.Logger.Info("objrmi registry: a group watch ended", "group", w.group, "err", err)
			gs.unwatch(w)
		}
	}
}

// unwatch ends w.
func (gs *groupServer) unwatch(w *watcher) {
	gs.mu.Lock()
	if w.ended || gs.closed {
		gs.mu.Unlock()
		return
	}
	w.ended = true
	ws := gs.watchers[w.group]
	for i, o := range ws {
		if o == w {
			gs.watchers[w.group] = append(ws[:i:i], ws[i+1:]...)
			gs.nwatch--
			if w.peer != uuid.Nil {
				if gs.byPeer[w.peer]--; gs.byPeer[w.peer] <= 0 {
					delete(gs.byPeer, w.peer)
				}
			}
			break
		}
	}
	if len(gs.watchers[w.group]) == 0 {
		delete(gs.watchers, w.group)
	}
	gs.mu.Unlock()
	w.stop()
	remote.Release(w.l)
}

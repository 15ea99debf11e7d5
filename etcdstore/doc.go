// Package etcdstore keeps a naming registry's bindings and replica
// groups in etcd, so that several registry processes serve one
// namespace and survive each other.
//
// Open returns a Store, a registry.SharedStore: pass it as
// registry.Options.Store to each registry.Serve (or run
// "objregistry serve --store etcd://host:port[,host:port...]/prefix",
// the objregistry of this module).
//
// # Keys
//
// Every key is under PREFIX/v1/ (Options.Prefix, default /objrmi), so a
// later layout can live beside this one:
//
//	PREFIX/v1/bindings/NAME   a binding: the reference (runtime, endpoint,
//	                          object, interface, TLS, key) and when it was
//	                          bound; attached to its owner's lease
//	PREFIX/v1/owners/RUNTIME  the owner runtime's etcd lease
//	PREFIX/v1/groups/GROUP/RUNTIME.OBJECT
//	                          a member of a replica group: its reference
//	                          and when it joined; attached to its owner's
//	                          lease
//
// Bind is a transaction that creates the key only if it does not exist,
// so of many concurrent Binds of one name through any number of
// registries exactly one wins; Rebind puts and returns the previous
// value; Unbind deletes; the removal of a binding whose object is gone
// deletes it only if its revision has not changed since it was read, so
// that a newer binding of the name survives.
//
// The Store is also a registry.SharedGroupStore, so the registries on
// it share their replica groups (registry.Groups). GroupJoin is a
// transaction that creates the member's key only if it does not exist
// (a member joins once, however many registries it joins through);
// GroupLeave deletes it. Members are listed in the order their keys were
// created.
//
// # Bindings follow their owners' lives
//
// Each owner runtime has one etcd lease (TTL Options.LeaseTTL), and its
// bindings are attached to it. Every registry on the store holds a DGC
// lease on every bound object, as a single registry does, and keeps the
// owner's etcd lease alive only while it holds at least one of that
// owner's objects. So:
//
//   - an owner that dies stops answering its holders' renewals; once its
//     objrmi lease (the owner's remote.Options.Lease) has run out in
//     every registry, they stop renewing the etcd lease, and etcd removes
//     all its bindings at once LeaseTTL later: at most the owner's Lease
//     plus LeaseTTL (plus a renewal period) after its last answer;
//   - an owner that says an object is gone (unexported, collected) or
//     that it has restarted loses the binding at once: the first registry
//     to hear it deletes the binding;
//   - a registry that dies, or loses its way to an owner, removes
//     nothing: the other registries keep the owner's lease alive.
//
// An owner that was paused or cut off for longer than that loses its
// bindings; registry.KeepBound, run by the owner, binds them again.
//
// Group members follow the same lives: every registry holds every
// member and keeps its owner's lease alive while it does, so a member
// whose owner dies leaves its group in every registry within the same
// bound, one whose object is unexported or whose owner restarted leaves
// at once, and a registry that dies removes none. (Nothing joins a lost
// member again: its owner joins again if it wants to.)
//
// # Lookups, and how fresh they are
//
// Each Store keeps every binding in memory, fed by an etcd watch, and
// answers Get and List from it without a round trip. A Get that finds a
// name returns what the cache holds: every write to etcd reaches it
// through the watch, typically within milliseconds, and a probe (a
// quorum read, every Options.ProbeInterval) proves that it holds every
// write acknowledged before the probe began. A Get that does not find
// the name asks etcd with a quorum read before it says ErrNotBound, so a
// name bound through any registry is found through every other as soon
// as its Bind has returned. A registry's own writes are in its cache as
// soon as they return.
//
// GroupMembers (a registry's Members, and the first list of
// registry.LookupGroup) answers from the cache too, but only once the
// cache has caught up with a quorum read of etcd's revision (no member
// crosses the network), so a member joined through any registry is
// listed through every other as soon as its Join has returned: one small
// round trip per call. A registry's group watchers are told the members
// from its cache each time the watch changes them, whichever registry
// the change was made through.
//
// # When etcd cannot be reached
//
// Once the cache has not been proven current for Options.MaxAge (etcd
// down, or this registry's etcd member cut off from its quorum: the
// watch requires a leader), Get, List and Groups fail with
// registry.ErrStoreUnavailable, and GroupMembers fails so as soon as its
// quorum read does. With Options.StaleLookups set they are served from
// the cache instead while it is younger than StaleLookups, and the
// registry's log says that each such answer may be stale (a registry's
// Lookup reply has no room to say so to a remote caller: opt in only
// where an old answer is better than none). Bind, Rebind, Unbind,
// GroupJoin and GroupLeave fail with registry.ErrStoreOutcomeUnknown
// when etcd does not answer: the change may have been made. No call
// waits past its context's deadline, nor past Options.Timeout when it
// has none.
package etcdstore

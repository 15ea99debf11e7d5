// Package gc is the owner's side of objrmi's distributed garbage
// collection: for each exported object, the set of runtimes that hold a
// reference to it, and for each holder runtime, one lease.
//
// The lease belongs to the holder, not to each reference: a holder renews
// once per owner, however many of the owner's objects it holds, and when
// its lease lapses every reference it held ends at once. Dirty and clean
// messages carry a sequence number per holder, and each (holder, object)
// pair remembers the last one applied, so a dirty that arrives after a
// later clean never brings the reference back.
//
// Each life of a holder's record has an epoch, sent back with every
// renewal: a renewal with an old epoch (the holder missed the grant that
// began the current life, because it gave up on a dirty that arrived
// after its lease lapsed) is not Known, so the holder claims all it
// holds again and is counted again.
//
// A claim needs proof that the holder was given the object: it holds it
// already, the owner sent it to that holder (a pin), or the claim carries
// the object's random key, which only references carry. A guessed object
// number earns a refusal that reads the same whether it exists or not. A
// strong clean keeps one number per holder (a floor below which its
// dirties are stale), not one tombstone per object it lists.
//
// An object whose last holder leaves (a clean, a lapsed lease, or the end
// of an in-transit pin) is reported once as unreferenced. A collectable
// object is forgotten at that moment: later pins and dirties for it fail,
// so a reference to it can never be revived behind the runtime's back.
//
// The Table is pure bookkeeping with its own lock. It never calls out while
// holding it; the runtime drives Expire from its checker and acts on what
// it returns.
//
// Who uses it: the runtime (package remote) keeps a Table for its exports
// and serves Service at object id 1 of every runtime. Programs see Reason
// (remote.UnreferencedBecause), and Holder and Object (remote.Runtime's
// Inspect and Holders). The message types are the DGC's protocol, public so
// that it is documented in one place.
package gc

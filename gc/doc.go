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
// An object whose last holder leaves (a clean, a lapsed lease, or the end
// of an in-transit pin) is reported once as unreferenced. A collectable
// object is forgotten at that moment: later pins and dirties for it fail,
// so a reference to it can never be revived behind the runtime's back.
//
// The Table is pure bookkeeping with its own lock. It never calls out while
// holding it; the runtime drives Expire from its checker and acts on what
// it returns.
package gc

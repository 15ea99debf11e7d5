// Package refs is the holder's side of objrmi's distributed garbage
// collection: the references this runtime holds on other runtimes'
// objects, counted by the stubs that use them.
//
// Who uses it: the runtime (package remote), through internal/link. A
// program never calls it and it exports nothing; what it holds shows in
// remote.Runtime.Inspect (Snapshot.Held), and its limits and timings are
// set by remote.Options (Lease, TransitTimeout, IdleTimeout).
//
// No owner has a goroutine of its own: a scheduler and a small pool of
// workers (sched.go) run each owner's rounds; only an owner whose lease
// is current has a goroutine, while its messages are in flight, so that
// silent owners cannot delay renewals to owners that answer. A round tells the owner
// "dirty" for references this runtime has just received, batched, and
// "clean" for
// references whose last stub was released, batched too, and it renews
// this runtime's lease on the owner at half its length: one message per
// owner, however many of its objects are held. A dirty that fails is
// retried with backoff; if its outcome was unknown, the reference is later
// cleaned "strongly", so that the owner remembers the clean against the
// dirty that may still arrive.
//
// A stub counts once from creation until it is released, explicitly or by
// Go's garbage collector. A reference this runtime sends to a third
// runtime is pinned for that receiver, so that it stays held while the
// receiver's own dirty is on its way to the owner; the receiver says so
// (Received) once the owner has answered it, which ends the pin, and the
// transit window only ends the pins of receivers that never do. A claim
// carries the key of the copy it came from; if the owner refuses it, the
// key of another copy (one remembered per sender, for a few senders) is
// claimed next, and a refused reference is claimed again when a copy
// with another key arrives, so an earlier forged or hand-made copy cannot
// cost this runtime an object it was legitimately given. A sender is
// told only once a claim is granted (or its own key refused).
//
// What a peer can make this runtime hold is bounded: references and owner
// runtimes it introduced, and in all (HoldersConfig.MaxRefsPerPeer in internal/link, and the rest).
package refs

// Package refs is the holder's side of objrmi's distributed garbage
// collection: the references this runtime holds on other runtimes'
// objects, counted by the stubs that use them.
//
// Each owner runtime gets one goroutine. It tells the owner "dirty" for
// references this runtime has just received, batched, and "clean" for
// references whose last stub was released, batched too, and it renews
// this runtime's lease on the owner at half its length: one message per
// owner, however many of its objects are held. A dirty that fails is
// retried with backoff; if its outcome was unknown, the reference is later
// cleaned "strongly", so that the owner remembers the clean against the
// dirty that may still arrive.
//
// A stub counts once from creation until it is released, explicitly or by
// Go's garbage collector. A reference this runtime sends to a third
// runtime is pinned for a transit window, so that it stays held while the
// receiver's own dirty is on its way to the owner.
package refs

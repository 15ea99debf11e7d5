// Package remote is the objrmi runtime: it exports Go objects that
// implement remote interfaces and lets other processes call them through
// typed stubs, over one multiplexed, bidirectional TCP connection per pair
// of runtimes.
//
// A remote interface is a named Go interface whose methods take a
// context.Context first and return an error last:
//
//	type Calculator interface {
//		Add(ctx context.Context, a, b int64) (int64, error)
//	}
//	//go:generate go tool objstub -type Calculator
//
// A server exports an implementation; a client obtains a stub and calls it:
//
//	rt, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
//	ref, _ := remote.Export[Calculator](rt, &calc{}, remote.WithID(100))
//
//	client, _ := remote.NewRuntime(remote.Options{}) // no listener needed
//	calc, _ := remote.Dial[Calculator](ctx, client, rt.Endpoint(), 100)
//	sum, err := calc.Add(ctx, 2, 3)
//
// Parameters and results are values (msgpack, by copy) or remote
// interfaces, which travel by reference: the receiver gets a stub whose
// calls go back to the original object, exported implicitly if it never
// was. A client's own objects are called back over the connection the
// client opened, so callbacks need no listener on the client.
//
// The caller's context deadline travels with each call, and cancelling
// the context cancels the server method's context (context.Cause gives
// objerr.ErrCallerCanceled). Every error says whether the method can have
// run: see package objerr.
//
// Besides the synchronous call, every method can be called without
// waiting: objstub's AsyncXxx gives each a form that returns a Future at
// once, which costs no goroutine while it waits (Await, Done, Cancel,
// AwaitAll). A method marked //objrmi:oneway returns once its call is
// written. A Batch sends many async calls to one runtime in one frame,
// run there in order and answered in one frame (NewBatch, InBatch).
//
// A method streams its results when its one result besides error is an
// iter.Seq2[T, error]: the client's call returns once the method has
// returned its iterator, and gets a single-use iterator over the items,
// which the server produces at most a window ahead of the client's loop
// (WithStreamWindow). Breaking out of the loop, or cancelling the call's
// context, stops the server's iterator.
//
// Objects passed by reference are garbage collected across runtimes: a
// holder leases each owner's references and renews the lease; releasing a
// stub (Release, or Go's garbage collector) tells the owner at once. An
// object nobody holds gets its Unreferenced call, and is unexported if it
// was exported implicitly or as Collectable. A caller that vanishes leaves
// orphans: once its connection has been gone for Options.OrphanGrace, its
// running calls are cancelled with objerr.ErrOrphaned, and a method that
// passes its context on carries that cancellation downstream. Inspect shows
// the runtime's exports, holders, held references and calls in flight.
// Watch tells a holder when a reference is lost (its owner says it is
// gone, restarted, or could not be reached before the lease ran out).
//
// Programs usually find objects by name rather than by endpoint and id:
// package registry is the naming registry, at the well-known id
// RegistryID. A Ref value itself can be a parameter or result: it travels
// as a reference to an object of any interface, kept alive on the way
// like a typed one, which is how the registry binds and returns objects
// whose types it does not know.
//
// Security: Options.TLS encrypts (mutual TLS with client certificates),
// Options.CheckToken and RequireAuth authenticate, and Options.Authorize
// and WithAuthorize decide each call from its Principal before it runs,
// calls to objects and methods that do not exist included. A runtime id
// is bound to the principal, or for an anonymous peer the host, that
// first presented it, in both directions. Limits (MaxFrameSize,
// MaxDepth, MaxCollectionLen, MaxInflight, MaxConns, MaxConnsPerHost,
// HandshakeTimeout, IdleTimeout, HeartbeatTimeout) have safe
// defaults; a peer that breaks one is disconnected with one log line
// naming it, and no other connection notices. Decoding only ever builds
// the declared types: nothing on the wire names a Go type.
package remote

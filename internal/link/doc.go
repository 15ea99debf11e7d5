// Package link joins the runtime (package remote) to the plumbing of the
// public packages stub, skeleton and refs.
//
// Those packages hold the real work of a call and of the holder's side of
// the DGC, but their exported API is only what users and generated code
// call: stub.Register and Stub.Invoke, and nothing at all in skeleton and
// refs. What only the runtime may use is reached through the variables
// here, which each package fills in when it is initialised; the runtime
// imports all three, so they are always set before it runs.
package link

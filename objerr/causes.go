package objerr

import "errors"

// Causes a server method can find with context.Cause(ctx) when its
// context is cancelled by objrmi rather than by the method itself.
var (
	// ErrCallerCanceled: the caller cancelled its context, or gave up.
	ErrCallerCanceled = errors.New("objrmi: the caller cancelled the call")
	// ErrPeerGone: the connection to the peer was lost. A caller sees it
	// inside a connection error; a method sees ErrOrphaned instead.
	ErrPeerGone = errors.New("objrmi: the connection to the peer was lost")
	// ErrOrphaned: the caller is gone. Its connection was lost and it did
	// not come back within the grace period, or its lease lapsed, or (one
	// hop or more downstream) the call that made this call was orphaned.
	ErrOrphaned = errors.New("objrmi: orphaned call: the caller is gone")
	// ErrRuntimeClosing: the serving runtime is shutting down.
	ErrRuntimeClosing = errors.New("objrmi: the runtime is closing")
)

// Causes a holder finds with context.Cause on the context that watches a
// reference (remote.Runtime.Watch). A reference whose owner said the
// object is gone matches ErrNoSuchObject instead.
var (
	// ErrLeaseLapsed: the owner could not be reached to renew the lease
	// before it ran out, so it has dropped this runtime's hold.
	ErrLeaseLapsed = errors.New("objrmi: the lease lapsed: its owner could not be reached to renew it")
	// ErrReleased: every stub for the reference was released.
	ErrReleased = errors.New("objrmi: the reference was released")
)

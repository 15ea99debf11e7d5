package objerr

import "errors"

// Causes a server method can find with context.Cause(ctx) when its
// context is cancelled by objrmi rather than by the method itself.
var (
	// ErrCallerCanceled: the caller cancelled its context, or gave up.
	ErrCallerCanceled = errors.New("objrmi: the caller cancelled the call")
	// ErrPeerGone: the connection to the caller was lost.
	ErrPeerGone = errors.New("objrmi: the connection to the peer was lost")
	// ErrRuntimeClosing: the serving runtime is shutting down.
	ErrRuntimeClosing = errors.New("objrmi: the runtime is closing")
)

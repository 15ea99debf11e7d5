package main

import "context"

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Calculator,Counter,Listener

// Calculator is the remote interface the server process exports.
type Calculator interface {
	Add(ctx context.Context, a, b int64) (int64, error)
	// NewCounter returns a server-side object by reference.
	NewCounter(ctx context.Context, start int64) (Counter, error)
	// Watch calls the client's listener back n times.
	Watch(ctx context.Context, l Listener, n int) error
}

// Counter lives in the server; clients hold references to it.
type Counter interface {
	Incr(ctx context.Context, by int64) (int64, error)
}

// Listener lives in the client; the server calls it back.
type Listener interface {
	Notify(ctx context.Context, msg string) error
}

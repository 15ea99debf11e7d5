// Package svc is the service every system in the benchmark serves: Add
// and Echo, declared once per system in the form that system wants, and
// implemented once.
package svc

import "context"

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -type Bench

// Bench is the objrmi remote interface.
type Bench interface {
	Add(ctx context.Context, a, b int64) (int64, error)
	Echo(ctx context.Context, p []byte) ([]byte, error)
}

// Impl implements Bench; the other systems' servers call it too, so every
// system runs the same method bodies.
type Impl struct{}

// Add returns a+b.
func (Impl) Add(_ context.Context, a, b int64) (int64, error) { return a + b, nil }

// Echo returns p itself.
func (Impl) Echo(_ context.Context, p []byte) ([]byte, error) { return p, nil }

// AddArgs is Add's request for net/rpc and gRPC.
type AddArgs struct{ A, B int64 }

// AddReply is Add's reply for gRPC (net/rpc replies into an *int64).
type AddReply struct{ Sum int64 }

// Bytes is Echo's request and reply for gRPC.
type Bytes struct{ P []byte }

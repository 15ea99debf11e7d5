package link

import (
	"context"
	"reflect"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// StubRuntime is what a stub needs from the runtime that created it: a
// connection to the owner of a reference, the error codes, and, per
// reference, the codec for calls to its owner and a count that keeps the
// owner's object alive.
type StubRuntime interface {
	Conn(ctx context.Context, ref *wire.Ref) (*transport.Conn, error)
	Codes() *objerr.Codes
	// Bind returns the reference codec for calls to ref's owner and, if
	// the runtime counts references to ref, the function that ends this
	// stub's count (nil otherwise).
	Bind(ref wire.Ref) (refs codec.Refs, release func())
}

// Stub is the runtime's view of a *stub.Stub.
type Stub interface {
	// Invoke calls method index of the stub's interface.
	Invoke(ctx context.Context, index int, args []any, results []any) error
	// Probe asks the owner whether the object exists and implements the
	// stub's interface.
	Probe(ctx context.Context) error
	Ref() wire.Ref
	// Release ends the stub's count on its reference; later calls fail.
	Release()
	Released() bool
	// Counted says the stub keeps its owner's object alive.
	Counted() bool
}

// Set by package stub.
var (
	// NewStub returns a value of it's Go interface type that calls ref: a
	// generated shell around a counted stub.
	NewStub func(it *iface.Interface, ref wire.Ref, rt StubRuntime) (reflect.Value, error)
	// RawStub returns a stub without a shell and without a count, for the
	// runtime's own calls (the DGC's).
	RawStub func(it *iface.Interface, ref wire.Ref, rt StubRuntime) Stub
	// StubOf returns the stub behind a shell, or false if v is not one.
	StubOf func(v any) (Stub, bool)
	// NewDynamic returns a *stub.Dynamic for ref.
	NewDynamic func(ref wire.Ref, rt StubRuntime) any
)

// Set by package stub, for remote's batches.
var (
	// NewBatch returns a *stub.Batch.
	NewBatch func(stopOnError bool) any
	// InBatch returns the shell v (a stub) bound to batch b, a
	// *stub.Batch: its async calls join b.
	InBatch func(v any, b any) (any, error)
)

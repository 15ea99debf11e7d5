package registry

import (
	"context"

	"github.com/objrmi/objrmi/remote"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -async=false -type Registry

// Registry is the remote interface of a naming registry, exported at
// remote.RegistryID. Programs use it through Client and Lookup, which
// add URL parsing and typed results.
type Registry interface {
	// Bind binds name to obj, or fails with ErrAlreadyBound if name is
	// taken. It returns once the registry holds a lease on obj, and
	// fails if obj's owner says it is gone.
	Bind(ctx context.Context, name string, obj remote.Ref) error
	// Rebind binds name to obj, replacing any binding of name.
	Rebind(ctx context.Context, name string, obj remote.Ref) error
	// Unbind removes name and releases the registry's reference, or
	// fails with ErrNotBound.
	Unbind(ctx context.Context, name string) error
	// Lookup returns the object bound to name, or fails with ErrNotBound.
	Lookup(ctx context.Context, name string) (remote.Ref, error)
	// List returns the bound names, sorted.
	List(ctx context.Context) ([]string, error)
}

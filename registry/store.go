package registry

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/objrmi/objrmi/remote"
)

// Binding is one name and the object bound to it.
type Binding struct {
	Name  string
	Ref   remote.Ref
	Bound time.Time // when it was bound or last rebound
}

// Store keeps a registry's bindings. Each method is atomic on its own,
// so that registries sharing a store (etcd) agree on one winner.
type Store interface {
	// Create adds b, or fails with ErrAlreadyBound if its name is taken.
	Create(ctx context.Context, b Binding) error
	// Put adds or replaces b, and returns the binding it replaced, if any.
	Put(ctx context.Context, b Binding) (old Binding, replaced bool, err error)
	// Delete removes name and returns what was bound, or fails with
	// ErrNotBound.
	Delete(ctx context.Context, name string) (Binding, error)
	// DeleteIf removes name only while it is still bound to ref, and says
	// whether it did: a binding dropped because its object is gone must
	// not take a newer binding of the same name with it.
	DeleteIf(ctx context.Context, name string, ref remote.Ref) (bool, error)
	// Get returns the binding of name, or fails with ErrNotBound.
	Get(ctx context.Context, name string) (Binding, error)
	// List returns every binding, ordered by name.
	List(ctx context.Context) ([]Binding, error)
	// Close releases the store's resources.
	Close() error
}

// MemoryStore is the default Store: bindings live as long as the process.
type MemoryStore struct {
	mu     sync.Mutex
	m      map[string]Binding
	groups map[string][]remote.Ref // groups_store.go
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: make(map[string]Binding)} }

// Create implements Store.
func (s *MemoryStore) Create(_ context.Context, b Binding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.m[b.Name]; taken {
		return fmt.Errorf("%w: %q", ErrAlreadyBound, b.Name)
	}
	s.m[b.Name] = b
	return nil
}

// Put implements Store.
func (s *MemoryStore) Put(_ context.Context, b Binding) (Binding, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, replaced := s.m[b.Name]
	s.m[b.Name] = b
	return old, replaced, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, name string) (Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[name]
	if !ok {
		return Binding{}, notBound(name)
	}
	delete(s.m, name)
	return b, nil
}

// DeleteIf implements Store.
func (s *MemoryStore) DeleteIf(_ context.Context, name string, ref remote.Ref) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.m[name]; !ok || !sameObject(b.Ref, ref) {
		return false, nil
	}
	delete(s.m, name)
	return true, nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, name string) (Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[name]
	if !ok {
		return Binding{}, notBound(name)
	}
	return b, nil
}

// List implements Store.
func (s *MemoryStore) List(context.Context) ([]Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Binding, 0, len(s.m))
	for _, b := range s.m {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b Binding) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Close implements Store.
func (s *MemoryStore) Close() error { return nil }

func notBound(name string) error { return fmt.Errorf("%w: %q", ErrNotBound, name) }

// sameObject compares references by what they point at, not by how they
// travelled (a pin, an endpoint spelt another way).
func sameObject(a, b remote.Ref) bool { return a.Runtime == b.Runtime && a.Object == b.Object }

package registry

import (
	"context"
	"slices"

	"github.com/objrmi/objrmi/remote"
)

// GroupStore is what a Store implements to keep replica groups (Groups).
// It is apart from Store so that a store without groups still serves
// bindings: a registry on such a store refuses group operations with
// ErrNoGroups. Each method is atomic on its own, as Store's are.
type GroupStore interface {
	// GroupJoin adds ref to group, after its other members; a ref that
	// is a member already (the same runtime and object) stays as it is.
	GroupJoin(ctx context.Context, group string, ref remote.Ref) error
	// GroupLeave removes ref from group and says whether it was a member.
	GroupLeave(ctx context.Context, group string, ref remote.Ref) (bool, error)
	// GroupMembers returns group's members in the order they joined,
	// none for an unknown group.
	GroupMembers(ctx context.Context, group string) ([]remote.Ref, error)
	// Groups returns every group that has members, with its members.
	Groups(ctx context.Context) (map[string][]remote.Ref, error)
}

var _ GroupStore = (*MemoryStore)(nil)

// GroupJoin implements GroupStore.
func (s *MemoryStore) GroupJoin(_ context.Context, group string, ref remote.Ref) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = make(map[string][]remote.Ref)
	}
	if !slices.ContainsFunc(s.groups[group], func(r remote.Ref) bool { return sameObject(r, ref) }) {
		s.groups[group] = append(s.groups[group], ref)
	}
	return nil
}

// GroupLeave implements GroupStore.
func (s *MemoryStore) GroupLeave(_ context.Context, group string, ref remote.Ref) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.groups[group]
	i := slices.IndexFunc(m, func(r remote.Ref) bool { return sameObject(r, ref) })
	if i < 0 {
		return false, nil
	}
	m = slices.Delete(slices.Clone(m), i, i+1)
	if len(m) == 0 {
		delete(s.groups, group)
	} else {
		s.groups[group] = m
	}
	return true, nil
}

// GroupMembers implements GroupStore.
func (s *MemoryStore) GroupMembers(_ context.Context, group string) ([]remote.Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.groups[group]), nil
}

// Groups implements GroupStore.
func (s *MemoryStore) Groups(context.Context) (map[string][]remote.Ref, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]remote.Ref, len(s.groups))
	for g, m := range s.groups {
		out[g] = slices.Clone(m)
	}
	return out, nil
}

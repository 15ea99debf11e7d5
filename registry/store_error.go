package registry

import (
	"errors"
	"fmt"
)

// readOnly says whether the store can only be read (a read-only
// FileStore): then the registry refuses changes before it contacts the
// object's owner.
func (s *Server) readOnly() bool {
	ro, ok := s.opts.Store.(interface{ ReadOnly() bool })
	return ok && ro.ReadOnly()
}

// storeFault is what a caller learns of a failure of the store: the
// operation, and ErrReadOnly, ErrStore, ErrStoreUnavailable or
// ErrStoreOutcomeUnknown. The store's own words may name
// the server's files, so they go to the registry's log, not to the
// caller. The registry's own errors (ErrAlreadyBound, ErrNotBound) pass
// as they are.
func (s *Server) storeFault(op, name string, err error) error {
	if errors.Is(err, ErrAlreadyBound) || errors.Is(err, ErrNotBound) {
		return err
	}
	kind := ErrStore
	for _, k := range []error{ErrReadOnly, ErrStoreOutcomeUnknown, ErrStoreUnavailable} {
		if errors.Is(err, k) {
			kind = k
			break
		}
	}
	s.opts.Logger.Error("objrmi registry: the store failed", "op", op, "name", name, "err", err)
	return &storeError{op: op, name: name, kind: kind, cause: err}
}

// storeError is a failure of the store as a caller sees it. Its message
// is plain, and crosses the wire; in the registry's process, errors.Is
// and errors.As still reach the cause.
type storeError struct {
	op, name string
	kind     error // ErrReadOnly, ErrStore, ErrStoreUnavailable or ErrStoreOutcomeUnknown
	cause    error // nil when the registry refused before asking the store
}

func (e *storeError) Error() string {
	what := e.op
	if e.name != "" {
		what = fmt.Sprintf("%s %q", e.op, e.name)
	}
	switch e.kind {
	case ErrReadOnly:
		return fmt.Sprintf("%s: %s refused; lookup and list still work", e.kind, what)
	case ErrStoreOutcomeUnknown:
		return fmt.Sprintf("%s: %s; look the name up once the store is back to learn which", e.kind, what)
	case ErrStoreUnavailable:
		return fmt.Sprintf("%s: %s failed; retry once the registry reaches its store again", e.kind, what)
	}
	return fmt.Sprintf("%s: %s; the registry's log has the cause", e.kind, what)
}

func (e *storeError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

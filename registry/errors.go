package registry

import (
	"errors"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Errors of the registry's operations. They cross the wire as registered
// codes, so errors.Is finds them on the client.
var (
	// ErrAlreadyBound: Bind found the name taken.
	ErrAlreadyBound = errors.New("objrmi registry: name is already bound")
	// ErrNotBound: Lookup or Unbind found no such name, or the object
	// bound to it is gone.
	ErrNotBound = errors.New("objrmi registry: name is not bound")
	// ErrAccessDenied: the caller may not change bindings. The refusal
	// comes before the method runs, so it is objerr.ErrAccessDenied
	// itself, "not sent".
	ErrAccessDenied = objerr.ErrAccessDenied
	// ErrBadName: the name breaks the naming rules (see CheckName).
	ErrBadName = errors.New("objrmi registry: bad name")
	// ErrBadReference: Bind was given a reference no other runtime could
	// call: the zero Ref, or one whose runtime has no listener.
	ErrBadReference = errors.New("objrmi registry: bad reference")
	// ErrWrongType: Lookup found an object of another remote interface.
	ErrWrongType = errors.New("objrmi registry: bound object has another interface")
	// ErrReadOnly: the store cannot be written (a FileStore whose
	// directory is read-only), so Bind, Rebind and Unbind fail; Lookup
	// and List still work.
	ErrReadOnly = errors.New("objrmi registry: the store is read-only")
	// ErrStore: the store failed to save or read a binding. The caller
	// gets this and the operation; the registry's log has the cause,
	// which may name the server's files.
	ErrStore = errors.New("objrmi registry: the store failed")
	// ErrStoreUnavailable: a store shared by several registries (etcd)
	// cannot be reached, or this registry is cut off from its quorum, so
	// a lookup or a list cannot be answered with a view known to be
	// current. Nothing was changed.
	ErrStoreUnavailable = errors.New("objrmi registry: the store is unavailable")
	// ErrStoreOutcomeUnknown: a Bind, Rebind or Unbind was sent to a
	// shared store that then could not be reached, or gave no answer
	// before the deadline: the change may or may not have been made. Look
	// the name up, once the store is back, to learn which.
	ErrStoreOutcomeUnknown = errors.New("objrmi registry: the store did not answer: the change may or may not have been made")
)

// codes are the wire names of the errors above.
var codes = []struct {
	code string
	err  error
}{
	{"objrmi.registry.already-bound", ErrAlreadyBound},
	{"objrmi.registry.not-bound", ErrNotBound},
	{"objrmi.registry.bad-name", ErrBadName},
	{"objrmi.registry.bad-reference", ErrBadReference},
	{"objrmi.registry.read-only", ErrReadOnly},
	{"objrmi.registry.store", ErrStore},
	{"objrmi.registry.store-unavailable", ErrStoreUnavailable},
	{"objrmi.registry.store-outcome-unknown", ErrStoreOutcomeUnknown},
	{"objrmi.registry.not-member", ErrNotMember},
	{"objrmi.registry.no-groups", ErrNoGroups},
}

// registerCodes lets rt carry the registry's errors, as client or server.
func registerCodes(rt *remote.Runtime) error {
	for _, c := range codes {
		if err := rt.RegisterError(c.code, c.err); err != nil {
			return err
		}
	}
	return nil
}

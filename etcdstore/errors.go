package etcdstore

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/objrmi/objrmi/registry"
)

// writeFailed is a write that etcd did not confirm: it may have been
// applied, unless etcd refused it outright.
func writeFailed(op, name string, err error) error {
	if isRefusal(err) {
		return fmt.Errorf("etcdstore: %s %q: %w: %w", op, name, registry.ErrStore, err)
	}
	return fmt.Errorf("etcdstore: %s %q: %w: %w", op, name, registry.ErrStoreOutcomeUnknown, cause(err))
}

// readFailed is a read that etcd did not answer.
func readFailed(op, name string, err error) error {
	return fmt.Errorf("etcdstore: %s %q: %w: %w", op, name, registry.ErrStoreUnavailable, cause(err))
}

// cause keeps a context's error as words only: that etcd did not answer
// within the deadline is the store's failure, not the call's, and a
// context.DeadlineExceeded in the chain would make the registry's caller
// see its own call's deadline instead of the store's typed error.
func cause(err error) error {
	if isCtxErr(err) {
		return errors.New(err.Error())
	}
	return err
}

// isRefusal says whether etcd refused a request before applying it,
// for a reason that retrying does not change.
func isRefusal(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch rpctypes.Error(err) {
	case rpctypes.ErrRequestTooLarge, rpctypes.ErrTooManyOps, rpctypes.ErrPermissionDenied,
		rpctypes.ErrAuthNotEnabled, rpctypes.ErrInvalidAuthToken, rpctypes.ErrUserEmpty:
		return true
	}
	return false
}

//go:build !unix

package registry

import "io"

type noLock struct{}

func (noLock) Close() error { return nil }

// lockFile does nothing where flock is missing: one registry per file is
// then the operator's promise.
func lockFile(string, bool) (io.Closer, error) { return noLock{}, nil }

// isReadOnlyFS: fs.ErrPermission covers what these systems report.
func isReadOnlyFS(error) bool { return false }

//go:build unix

package registry

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// lockFile locks path, created if need be, until the returned Closer is
// closed (or the process dies). A writer takes it exclusively. A reader
// (a read-only store, whose directory it cannot write) shares it with
// other readers; if there is no lock file, none can be made, and so no
// writer can be at work either.
func lockFile(path string, write bool) (io.Closer, error) {
	flag, how := os.O_RDWR|os.O_CREATE, syscall.LOCK_EX
	if !write {
		flag, how = os.O_RDONLY, syscall.LOCK_SH
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if !write && errors.Is(err, fs.ErrNotExist) {
		return noLock{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("in use by another registry (%s is locked)", path)
		}
		return nil, err
	}
	return f, nil
}

type noLock struct{}

func (noLock) Close() error { return nil }

// isReadOnlyFS says whether err is a write to a read-only file system.
func isReadOnlyFS(err error) bool { return errors.Is(err, syscall.EROFS) }

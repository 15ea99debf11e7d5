//go:build unix

package remote

import "syscall"

// fdLimit raises the process's soft limit on open files to its hard
// limit, where the system allows it (Go's runtime does so at start on
// most systems; this makes sure), and returns the soft limit then in
// force, or 0 if it cannot be read.
func fdLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = raised.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	return uint64(lim.Cur)
}

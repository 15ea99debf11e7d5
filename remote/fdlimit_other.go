//go:build !unix

package remote

// fdLimit is 0 where the limit on open files cannot be read: MaxConns
// then defaults to defaultMaxConnsUnknown.
func fdLimit() uint64 { return 0 }

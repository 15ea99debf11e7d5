//go:build unix

package remote

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// MaxConns defaults to what the file-descriptor limit allows, not to a
// fixed 4096 that refuses the 4,097th client of a server allowed 65,536
// files.
func TestMaxConnsDefaultsToTheFileLimit(t *testing.T) {
	assert.Equal(t, 4096, maxConnsFor(0), "unknown limit")
	assert.Equal(t, 58983, maxConnsFor(65536))
	assert.Equal(t, 922, maxConnsFor(1024))
	assert.Equal(t, 16, maxConnsFor(8))
	assert.Equal(t, 1<<20, maxConnsFor(1<<63), "RLIM_INFINITY")

	o, err := Options{}.withDefaults()
	require.NoError(t, err)
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	assert.Equal(t, lim.Max, lim.Cur, "the soft limit is raised to the hard limit")
	assert.Equal(t, maxConnsFor(uint64(lim.Cur)), o.MaxConns)
}

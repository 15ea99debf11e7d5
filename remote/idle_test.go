package remote_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

// A connection that carries no call for IdleTimeout is closed by the
// side that dialled it, even though both sides keep pinging; one with a
// call in flight is not; and the next call dials again as if nothing
// happened.
func TestIdleConnectionsAreClosedAndRedialled(t *testing.T) {
	opts := remote.Options{IdleTimeout: 500 * time.Millisecond, Lease: 800 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond, HeartbeatTimeout: 5 * time.Second}
	srvOpts := opts
	srvOpts.Listen, srvOpts.IdleTimeout = "127.0.0.1:0", time.Hour
	srv := newRuntime(t, srvOpts)
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, opts)
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)

	// A call lasting four idle timeouts keeps its connection.
	seen, err := calc.Wait(ctxT(t), 2*time.Second)
	require.NoError(t, err)
	assert.Empty(t, seen.Cause, "the call ran to its end")

	require.Eventually(t, func() bool { return srv.Inspect().Conns == 0 }, 10*time.Second, 20*time.Millisecond,
		"the idle connection is closed")
	sum, err := calc.Add(ctxT(t), 2, 2)
	require.NoError(t, err, "the next call dials again")
	assert.Equal(t, int64(4), sum)
	assert.Equal(t, 1, srv.Inspect().Conns)
}

package remote_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// proxied returns a server and a stub that reaches it through a proxy;
// opts apply to the client runtime.
func proxied(t *testing.T, opts remote.Options) (*testsvc.Calc, *proxy, testsvc.Calculator) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", OrphanGrace: orphanGrace})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	p := newProxy(t, srv.Endpoint())
	cli := newRuntime(t, opts)
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, p.addr(), calcID)
	require.NoError(t, err)
	return impl, p, calc
}

// After a lost connection the next call dials again.
func TestReconnectAfterLostConnection(t *testing.T) {
	_, p, calc := proxied(t, remote.Options{})
	ctx := ctxT(t)
	_, err := calc.Add(ctx, 1, 1)
	require.NoError(t, err)

	p.cut()
	_, err = calc.Add(ctx, 1, 1)
	if err != nil {
		// The cut raced the call: the failure must say so, and the next
		// call must find a new connection.
		require.ErrorIs(t, err, objerr.ErrConnection)
		_, err = calc.Add(ctx, 1, 1)
	}
	require.NoError(t, err)
}

// orphanGrace is the servers' grace period in tests of lost connections.
const orphanGrace = 200 * time.Millisecond

// A lost connection fails the client's pending call ("outcome unknown",
// not a hang) and, once the grace period has passed without the client
// coming back, cancels the server's call from that peer as an orphan.
func TestLostConnectionMidCall(t *testing.T) {
	impl, p, calc := proxied(t, remote.Options{})
	errc := make(chan error, 1)
	go func() {
		_, err := calc.Wait(ctxT(t), time.Minute)
		errc <- err
	}()
	<-impl.Started
	p.cut()
	err := <-errc
	assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
	assert.ErrorIs(t, err, objerr.ErrConnection)
	seen := <-impl.Ended
	assert.True(t, seen.Canceled)
	assert.Contains(t, seen.Cause, objerr.ErrOrphaned.Error())
}

// A client that comes back within the grace period is not an orphan: the
// call it lost keeps running to its end.
func TestReconnectWithinGraceKeepsCalls(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", OrphanGrace: 5 * time.Second, LeaseCheckInterval: 20 * time.Millisecond})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	p := newProxy(t, srv.Endpoint())
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, p.addr(), calcID)
	require.NoError(t, err)

	errc := make(chan error, 1)
	go func() {
		_, err := calc.Wait(ctxT(t), 500*time.Millisecond)
		errc <- err
	}()
	<-impl.Started
	p.cut()
	require.ErrorIs(t, <-errc, objerr.ErrOutcomeUnknown)
	_, err = calc.Add(ctxT(t), 1, 2) // back, on a new connection
	require.NoError(t, err)
	seen := <-impl.Ended
	assert.False(t, seen.Canceled, "cancelled although the caller came back in time: %s", seen.Cause)
	assert.Zero(t, srv.Inspect().OrphansCancelled)
}

// A peer that goes silent (frozen network, stopped process) is detected
// by heartbeats within the configured timeout. Only the client has short
// settings; the server pings as often as the client asked in its hello,
// so the idle connection lives until the network freezes. The server
// then sees the connection close.
func TestHeartbeatDetectsSilentPeer(t *testing.T) {
	opts := remote.Options{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: 400 * time.Millisecond}
	impl, p, calc := proxied(t, opts)
	errc := make(chan error, 1)
	go func() {
		_, err := calc.Wait(ctxT(t), time.Minute)
		errc <- err
	}()
	<-impl.Started
	select {
	case err := <-errc:
		t.Fatalf("an idle but live connection was declared dead: %v", err)
	case <-time.After(time.Second): // 2.5 × the client's timeout
	}
	p.freeze()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
		assert.Contains(t, err.Error(), "heartbeat")
	case <-time.After(20 * time.Second):
		t.Fatal("the call hung on a silent peer")
	}
	seen := <-impl.Ended
	assert.True(t, seen.Canceled, "the server's call from the lost client was cancelled")
	assert.Contains(t, seen.Cause, objerr.ErrOrphaned.Error())
}

package remote_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Probe is a remote interface for the tests of this file, called through
// dynamic calls (it has no generated stub).
type Probe interface {
	// Block waits for its context and returns its error.
	Block(ctx context.Context) error
	// Hang waits for the test to let it go, ignoring its context.
	Hang(ctx context.Context) error
}

// ctxSeen is what a method saw when its context ended.
type ctxSeen struct{ err, cause error }

type probe struct {
	seen    chan ctxSeen
	hanging chan struct{}
	release chan struct{}
	unref   chan struct{} // probeUnref's Unreferenced waits until it is closed
	unrefIn chan struct{}
}

func newProbe() *probe {
	return &probe{seen: make(chan ctxSeen, 16), hanging: make(chan struct{}, 16),
		release: make(chan struct{}), unref: make(chan struct{}), unrefIn: make(chan struct{}, 16)}
}

func (p *probe) Block(ctx context.Context) error {
	<-ctx.Done()
	p.seen <- ctxSeen{ctx.Err(), context.Cause(ctx)}
	return ctx.Err()
}

func (p *probe) Hang(context.Context) error {
	p.hanging <- struct{}{}
	<-p.release
	return nil
}

func (p *probe) Unreferenced() {
	select {
	case p.unrefIn <- struct{}{}:
	default:
	}
}

// Item 1: a connection that carries only frames larger than its write
// buffer works past HeartbeatTimeout. Before, only the buffered flush set
// the write deadline, so the one set by the first small call expired
// under the large writes, at HeartbeatTimeout plus its slack, and the
// call in flight failed "outcome unknown" on a healthy connection.
func TestLargeFramesKeepAHealthyConnection(t *testing.T) {
	opts := remote.Options{HeartbeatInterval: 100 * time.Millisecond, HeartbeatTimeout: 600 * time.Millisecond}
	srvOpts := opts
	srvOpts.Listen = "127.0.0.1:0"
	srv := newRuntime(t, srvOpts)
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, opts)
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)

	ctx := ctxT(t)
	_, err = calc.Add(ctx, 1, 2) // one small frame, flushed with a deadline
	require.NoError(t, err)
	big := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	calls := 0
	for end := time.Now().Add(4 * opts.HeartbeatTimeout); time.Now().Before(end); calls++ {
		got, err := calc.Echo(ctx, big)
		require.NoError(t, err, "call %d, after %s", calls, time.Since(end.Add(-4*opts.HeartbeatTimeout)))
		require.Equal(t, len(big), len(got))
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%d calls of 64 KiB over 4 × HeartbeatTimeout on one connection", calls)
}

// Item 3: one oversized argument fails that call alone, locally, as a
// limit error that was not sent; the calls in flight on the same
// connection finish. Before, the frame went out, the server closed the
// connection for it, and every call on it failed "outcome unknown".
func TestOversizedArgumentFailsOnlyThatCall(t *testing.T) {
	_, impl, _, calc := pair(t)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() {
			_, err := calc.Wait(ctx, 700*time.Millisecond)
			errs <- err
		})
	}
	for range 5 {
		<-impl.Started
	}
	_, err := calc.Echo(ctx, make([]byte, 17<<20)) // MaxFrameSize is 16 MiB
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrLimit)
	assert.ErrorIs(t, err, objerr.ErrNotSent, "refused before it was sent: safe to retry")
	assert.Contains(t, err.Error(), "MaxFrameSize")
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err, "a call in flight on the same connection")
	}
	_, err = calc.Add(ctx, 1, 1)
	assert.NoError(t, err, "the connection lives on")
}

// Item 3, the other way: a result larger than the caller accepts is
// answered with an error for that call; the method ran, so the error is
// remote, not "not sent", and the connection lives on.
func TestOversizedResultFailsOnlyThatCall(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{MaxFrameSize: 1 << 20})
	ctx := ctxT(t)
	calc, err := remote.Dial[testsvc.Calculator](ctx, cli, srv.Endpoint(), calcID)
	require.NoError(t, err)

	waited := make(chan error, 1)
	go func() {
		_, err := calc.Wait(ctx, 500*time.Millisecond)
		waited <- err
	}()
	<-impl.Started
	// The call itself fits neither: the client's own limit is not the
	// server's. 900 KiB goes out; the server's reply of 900 KiB fits.
	_, err = calc.Echo(ctx, make([]byte, 900<<10))
	require.NoError(t, err)
	// 1.5 MiB goes out (the server accepts 16 MiB), and comes back too
	// large for this client.
	_, err = calc.Echo(ctx, make([]byte, 3<<19))
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrLimit)
	assert.ErrorIs(t, err, objerr.ErrRemote, "the method ran")
	assert.Contains(t, err.Error(), "MaxFrameSize")
	assert.NoError(t, <-waited, "the call in flight finished")
	_, err = calc.Add(ctx, 1, 1)
	assert.NoError(t, err, "the connection lives on")
}

func probePair(t *testing.T, srvOpts remote.Options) (*remote.Runtime, *probe, *remote.Runtime, remote.Ref) {
	t.Helper()
	srvOpts.Listen = "127.0.0.1:0"
	srv := newRuntime(t, srvOpts)
	p := newProbe()
	ref, err := remote.Export[Probe](srv, p)
	require.NoError(t, err)
	return srv, p, newRuntime(t, remote.Options{}), ref
}

// Item 4: a call that runs out of time is a deadline error on both
// sides, every time. Before, the caller's cancel at its deadline was the
// same as an explicit cancel, so in about half the runs the method saw
// context.Canceled with cause ErrCallerCanceled.
func TestDeadlineIsADeadlineOnBothSides(t *testing.T) {
	_, p, cli, ref := probePair(t, remote.Options{})
	dy := remote.Dynamic(cli, ref)
	for round := range 10 {
		ctx, cancel := context.WithTimeout(ctxT(t), 300*time.Millisecond)
		_, err := dy.Call(ctx, "Block")
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded, "round %d: the caller", round)
		assert.ErrorIs(t, err, objerr.ErrDeadline, "round %d: the caller", round)
		seen := <-p.seen
		assert.Equal(t, context.DeadlineExceeded, seen.err, "round %d: the method's ctx.Err()", round)
		assert.Equal(t, context.DeadlineExceeded, seen.cause, "round %d: the method's context.Cause", round)
	}
}

// deadlineOnly has a deadline that it never enforces itself, so the
// server's timer always wins and its reply is what the caller sees.
type deadlineOnly struct {
	context.Context
	at time.Time
}

func (d deadlineOnly) Deadline() (time.Time, bool) { return d.at, true }

// Item 4, the server's side: a method that returns ctx.Err() when the
// call's time is up answers a deadline error that errors.Is matches, not
// "application error: context deadline exceeded".
func TestMethodReturningItsDeadlineIsADeadlineError(t *testing.T) {
	_, p, cli, ref := probePair(t, remote.Options{})
	ctx := deadlineOnly{ctxT(t), time.Now().Add(300 * time.Millisecond)}
	_, err := remote.Dynamic(cli, ref).Call(ctx, "Block")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, objerr.ErrDeadline)
	assert.NotErrorIs(t, err, objerr.ErrApplication)
	assert.Equal(t, context.DeadlineExceeded, (<-p.seen).err)
}

// Item 5: a second call with the id of a call in flight is a protocol
// violation that closes the connection. Before, it replaced the first
// call's cancel entry, and the first call's end deleted the second's, so
// the second escaped cancellation and orphan cancellation.
func TestDuplicateCallIDIsAProtocolViolation(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", OrphanGrace: 100 * time.Millisecond})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)

	nc, _ := rawHandshake(t, srv.Endpoint())
	wait := callFrame(t, "Wait", []byte{0x91, 0xd3, 0, 0, 0, 4, 0xa8, 0x17, 0xc8, 0}) // [20 s]
	binary.BigEndian.PutUint64(wait[6:], 7)
	_, err = nc.Write(wait)
	require.NoError(t, err)
	<-impl.Started
	_, err = nc.Write(wait) // id 7 again
	require.NoError(t, err)

	took, closed := hungUpWithin(nc, 10*time.Second)
	require.True(t, closed, "the server kept a connection that reused a call id")
	t.Logf("closed %s after the duplicate", took.Round(time.Millisecond))
	select {
	case seen := <-impl.Ended:
		assert.True(t, seen.Canceled, "the first call is cancelled as an orphan")
		assert.Contains(t, seen.Cause, "orphaned")
	case <-time.After(10 * time.Second):
		t.Fatal("the first call was never cancelled")
	}
	select {
	case <-impl.Started:
		t.Fatal("the duplicate call ran")
	case <-time.After(100 * time.Millisecond):
	}
}

// Item 13: Close returns while a method ignores its cancelled context
// and while an Unreferenced callback blocks; Shutdown waits for them as
// long as its context allows, says how many are left, and returns nil
// once they are done. Before, Close waited for both forever.
func TestCloseIsBoundedAndShutdownWaitsForUserCode(t *testing.T) {
	srv, p, cli, ref := probePair(t, remote.Options{})
	collectable, err := remote.Export[Probe](srv, newProbeUnref(p), remote.Collectable())
	require.NoError(t, err)

	hung := make(chan error, 1)
	go func() {
		_, err := remote.Dynamic(cli, ref).Call(context.Background(), "Hang")
		hung <- err
	}()
	<-p.hanging

	holder := remote.Dynamic(cli, collectable)
	require.NoError(t, cli.Confirm(ctxT(t), holder))
	holder.Release()
	select {
	case <-p.unrefIn:
	case <-time.After(10 * time.Second):
		t.Fatal("Unreferenced never ran")
	}

	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a method that ignores its context")
	}
	err = <-hung
	assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown, "the caller learns its connection was closed")

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = srv.Shutdown(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "2 methods or Unreferenced callbacks are still running")

	close(p.release)
	close(p.unref)
	require.NoError(t, srv.Shutdown(ctxT(t)), "everything has returned")
}

// probeUnref is a second Probe object sharing p's channels, so it is
// exported under its own number.
type probeUnref struct{ *probe }

func newProbeUnref(p *probe) *probeUnref { return &probeUnref{p} }

// Unreferenced blocks, as a callback that ignores everything would.
func (u *probeUnref) Unreferenced() {
	u.unrefIn <- struct{}{}
	<-u.unref
}

// A nil context passed to Shutdown is an error, not a panic.
func TestShutdownNilContext(t *testing.T) {
	rt := newRuntime(t, remote.Options{})
	var nilCtx context.Context
	err := rt.Shutdown(nilCtx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nil context")
}

// The functions a method calls on its context answer "not in a call" for
// a nil context, rather than panic.
func TestCallContextHelpersTakeNil(t *testing.T) {
	var nilCtx context.Context
	_, ok := remote.Caller(nilCtx)
	assert.False(t, ok)
	_, ok = remote.CallerAddr(nilCtx)
	assert.False(t, ok)
	_, ok = remote.PrincipalOf(nilCtx)
	assert.False(t, ok)
	_, ok = remote.Authorized(nilCtx)
	assert.False(t, ok)
}

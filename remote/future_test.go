package remote_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Futures give each call's results and errors as the synchronous call
// would, and AwaitAll waits for many at once.
func TestFutureGivesResultsAndErrors(t *testing.T) {
	_, _, _, calc := pair(t)
	ac := testsvc.AsyncCalculator(calc)
	ctx := ctxT(t)
	var fs []*remote.Future[int64]
	for i := range 50 {
		fs = append(fs, ac.Add(ctx, int64(i), 1))
	}
	div := ac.Div(ctx, 1, 0)
	sums, err := remote.AwaitAll(ctx, fs...)
	require.NoError(t, err)
	for i, s := range sums {
		assert.Equal(t, int64(i+1), s)
	}
	_, err = div.Await(ctx)
	assert.ErrorIs(t, err, testsvc.ErrDivByZero)
	assert.ErrorIs(t, err, objerr.ErrRemote)
	assert.ErrorContains(t, err, "Calculator.Div")

	// AwaitAll reports the first failure in order, and every result.
	got, err := remote.AwaitAll(ctx, ac.Add(ctx, 1, 1), ac.Div(ctx, 1, 0), ac.Add(ctx, 2, 2))
	assert.ErrorIs(t, err, testsvc.ErrDivByZero)
	assert.Equal(t, []int64{2, 0, 4}, got)

	// Several results come in a generated struct; none, as struct{}.
	drop := ac.Drop(ctx, "nothing")
	_, err = drop.Await(ctx)
	require.NoError(t, err)
}

// Done can be selected on, and Await then returns at once.
func TestFutureDoneSelects(t *testing.T) {
	_, impl, _, calc := pair(t)
	ctx := ctxT(t)
	f := testsvc.AsyncCalculator(calc).Wait(ctx, time.Hour)
	<-impl.Started
	select {
	case <-f.Done():
		t.Fatal("done before the method returned")
	case <-time.After(50 * time.Millisecond):
	}
	f.Cancel()
	select {
	case <-f.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Cancel did not end the future")
	}
	_, err := f.Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrCanceled)
	assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
	assert.ErrorIs(t, err, context.Canceled)
	// The server's method saw the cancel.
	seen := <-impl.Ended
	assert.True(t, seen.Canceled)
	assert.Contains(t, seen.Cause, objerr.ErrCallerCanceled.Error())
}

// Await's context bounds the wait only: the call goes on, and a later
// Await gets its results.
func TestFutureAwaitContextBoundsOnlyTheWait(t *testing.T) {
	_, impl, _, calc := pair(t)
	ctx := ctxT(t)
	f := testsvc.AsyncCalculator(calc).Wait(ctx, time.Second)
	<-impl.Started
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err := f.Await(short)
	assert.ErrorIs(t, err, objerr.ErrDeadline)
	assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
	assert.ErrorContains(t, err, "goes on")
	seen, err := f.Await(ctx)
	require.NoError(t, err)
	assert.False(t, seen.Canceled, "the call was not cancelled by the short wait")
	<-impl.Ended
}

// When the call's own context ends, the server is sent a cancel and the
// future fails at once, outcome unknown.
func TestFutureCallContextEndCancelsTheMethod(t *testing.T) {
	_, impl, _, calc := pair(t)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	f := testsvc.AsyncCalculator(calc).Wait(ctx, time.Hour)
	<-impl.Started
	cancel()
	_, err := f.Await(ctxT(t))
	assert.ErrorIs(t, err, objerr.ErrCanceled)
	assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
	select {
	case seen := <-impl.Ended:
		assert.True(t, seen.Canceled)
		assert.Contains(t, seen.Cause, objerr.ErrCallerCanceled.Error())
	case <-time.After(10 * time.Second):
		t.Fatal("the method was not cancelled")
	}
}

// silentServer accepts objrmi connections, completes their handshake and
// reads every frame, answering none: calls to it stay outstanding until
// kill closes every connection it took.
func silentServer(t *testing.T, frames chan<- wire.Kind) (endpoint string, kill func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				br := bufio.NewReader(nc)
				var h wire.Hello
				if wire.ReadHello(br, &h) != nil || wire.WriteHello(nc, &wire.Hello{Runtime: uuid.New(), PingEvery: time.Hour}) != nil {
					return
				}
				for {
					f, err := wire.ReadFrame(br, 1<<24)
					if err != nil {
						return
					}
					if frames != nil && f.Kind() != wire.KindPing {
						frames <- f.Kind()
					}
					f.Release()
				}
			}()
		}
	}()
	var once sync.Once
	kill = func() {
		once.Do(func() {
			ln.Close()
			mu.Lock()
			for _, c := range conns {
				c.Close()
			}
			mu.Unlock()
			wg.Wait()
		})
	}
	t.Cleanup(kill)
	return ln.Addr().String(), kill
}

// silentCalc is a Calculator stub on a silent server.
func silentCalc(t *testing.T, opts remote.Options) (testsvc.Calculator, func()) {
	endpoint, kill := silentServer(t, nil)
	cli := newRuntime(t, opts)
	calc, err := remote.StubOf[testsvc.Calculator](cli, remote.WellKnown(endpoint, calcID, "Calculator"))
	require.NoError(t, err)
	return calc, kill
}

// An outstanding future costs the caller no goroutine, and a future
// whose connection dies fails as outcome unknown instead of hanging.
func TestFuturesCostNoGoroutineAndFailWhenTheConnectionDies(t *testing.T) {
	calc, kill := silentCalc(t, remote.Options{})
	ac := testsvc.AsyncCalculator(calc)
	ctx := ctxT(t)
	_ = ac.Add(ctx, 0, 0) // dial first: the connection's own goroutines
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	const n = 1000
	fs := make([]*remote.Future[int64], n)
	for i := range fs {
		fs[i] = ac.Add(ctx, int64(i), 1)
	}
	during := runtime.NumGoroutine()
	assert.Less(t, during-before, 10, "%d outstanding futures cost %d goroutines", n, during-before)
	for _, f := range fs[:10] {
		select {
		case <-f.Done():
			_, err := f.Await(ctx)
			t.Fatalf("a future on a silent server ended: %v", err)
		default:
		}
	}

	kill()
	for i, f := range fs {
		select {
		case <-f.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("future %d hung after its connection died", i)
		}
		_, err := f.Await(ctx)
		require.ErrorIs(t, err, objerr.ErrOutcomeUnknown, "future %d", i)
		require.ErrorIs(t, err, objerr.ErrConnection, "future %d", i)
	}
	// The next one is not sent.
	_, err := ac.Add(ctx, 1, 2).Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
}

// MaxOutstanding bounds the futures awaiting replies on a connection:
// past it, a call waits for room within its context, and fails as not
// sent if the context ends first.
func TestFuturesAreBoundedByMaxOutstanding(t *testing.T) {
	calc, _ := silentCalc(t, remote.Options{MaxOutstanding: 4})
	ac := testsvc.AsyncCalculator(calc)
	ctx := ctxT(t)
	var fs []*remote.Future[int64]
	for i := range 4 {
		fs = append(fs, ac.Add(ctx, int64(i), 1))
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ac.Add(short, 9, 9).Await(ctx)
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond, "it waited for room")
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorIs(t, err, objerr.ErrDeadline)
	assert.ErrorContains(t, err, "MaxOutstanding")

	// Room comes when one ends: the waiting call then leaves.
	started := make(chan *remote.Future[int64])
	go func() { started <- ac.Add(ctx, 5, 5) }()
	select {
	case <-started:
		t.Fatal("a fifth call started with four outstanding")
	case <-time.After(50 * time.Millisecond):
	}
	fs[0].Cancel()
	select {
	case f := <-started:
		f.Cancel()
	case <-time.After(10 * time.Second):
		t.Fatal("the fifth call did not start once one ended")
	}
	for _, f := range fs[1:] {
		f.Cancel()
	}
}

// A reference in a future's result is claimed when the reply arrives,
// not when it is awaited: awaited long after the owner's transit window,
// it still works, as the synchronous call's would.
func TestFutureResultReferencesAreClaimedOnArrival(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", TransitTimeout: 500 * time.Millisecond,
		Lease: 2 * time.Second, LeaseCheckInterval: 20 * time.Millisecond})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)

	f := testsvc.AsyncCalculator(calc).NewCounter(ctxT(t), 41)
	<-f.Done()
	time.Sleep(1500 * time.Millisecond) // the transit pin is long gone
	select {
	case start := <-impl.Unreferenced:
		t.Fatalf("counter %d was collected while its future held it", start)
	default:
	}
	k, err := f.Await(ctxT(t))
	require.NoError(t, err)
	n, err := k.Incr(ctxT(t), 1)
	require.NoError(t, err)
	assert.Equal(t, int64(42), n)
}

// A future of a oneway method is done once its call is written.
func TestFutureOfOneWayIsDoneOnceWritten(t *testing.T) {
	room := &testsvc.RoomImpl{Gate: make(chan struct{}), Ran: make(chan string, 1)}
	_, _, r := roomPair(t, room, remote.Options{})
	f := testsvc.AsyncRoom(r).Post(ctxT(t), "hi")
	select {
	case <-f.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a oneway future waited for the method")
	}
	_, err := f.Await(ctxT(t))
	require.NoError(t, err)
	room.Gate <- struct{}{}
	assert.Equal(t, "hi", <-room.Ran)
}

// On a local object, the async form runs each call on a goroutine, and
// Cancel cancels its context.
func TestFutureOfLocalObject(t *testing.T) {
	impl := testsvc.NewCalc()
	ac := testsvc.AsyncCalculator(impl)
	ctx := ctxT(t)
	sum, err := ac.Add(ctx, 2, 3).Await(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), sum)
	f := ac.Wait(ctx, time.Hour)
	<-impl.Started
	f.Cancel()
	_, err = f.Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrCanceled)
	seen := <-impl.Ended
	assert.True(t, seen.Canceled)
}

// Killing the server process (kill -9) fails its outstanding futures as
// outcome unknown, at once.
func TestFutureServerProcessKilled(t *testing.T) {
	cmd, endpoint, out := startChild(t)
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, endpoint, calcID)
	require.NoError(t, err)
	f := testsvc.AsyncCalculator(calc).Wait(ctxT(t), time.Minute)
	line, err := out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "started\n", line)
	require.NoError(t, cmd.Process.Kill())
	select {
	case <-f.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the future hung after the server was killed")
	}
	_, err = f.Await(ctxT(t))
	assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
	assert.True(t, errors.Is(err, objerr.ErrConnection), "%v", err)
}

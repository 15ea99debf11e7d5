package remote_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
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

// helloWith opens a socket to endpoint and completes the handshake by
// hand with the hello h, as a hostile peer would.
func helloWith(t *testing.T, endpoint string, h wire.Hello) (net.Conn, *bufio.Reader) {
	nc, err := net.Dial("tcp", endpoint)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	if h.Runtime == uuid.Nil {
		h.Runtime = uuid.New()
	}
	require.NoError(t, wire.WriteHello(nc, &h))
	br := bufio.NewReader(nc)
	var peer wire.Hello
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	require.NoError(t, wire.ReadHello(br, &peer))
	require.Empty(t, peer.Refusal)
	nc.SetReadDeadline(time.Time{})
	return nc, br
}

// A hello whose PingEvery is a nanosecond or two made the heartbeat ask
// for a ticker of zero, which panics: any anonymous peer crashed the
// whole server process with one hello. A microsecond made it ping in a
// busy loop. The wish is now held to a floor.
func TestReviewTinyPingEveryCannotCrashTheServer(t *testing.T) {
	cmd, endpoint, _ := startChild(t)
	for _, every := range []time.Duration{1, time.Microsecond} {
		nc, br := helloWith(t, endpoint, wire.Hello{PingEvery: every})
		// The server's pings must come, but not in a flood.
		nc.SetReadDeadline(time.Now().Add(time.Second))
		frames := 0
		for {
			if _, err := wire.ReadFrame(br, 1<<10); err != nil {
				break
			}
			frames++
		}
		assert.Less(t, frames, 1000, "pings in one second after asking for one every %s", every)
	}

	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, endpoint, calcID)
	require.NoError(t, err, "the server process lives on")
	sum, err := calc.Add(ctxT(t), 1, 2)
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum)
	assert.Nil(t, cmd.ProcessState, "the server process lives on")
}

// Deriver waits on a context derived from its call's, as methods that
// bound a step with context.WithTimeout or run an errgroup do.
type Deriver interface {
	Derived(ctx context.Context) error
}

type deriver struct{ seen chan error }

func (d deriver) Derived(ctx context.Context) error {
	sub, cancel := context.WithCancel(ctx)
	defer cancel()
	<-sub.Done()
	d.seen <- sub.Err()
	return sub.Err()
}

// A call that ran out of time is a deadline error on both sides (item
// 4), also for a context the method derives from its call's: the call's
// context is cancelled with cause DeadlineExceeded, and a child of a
// cancelCtx inherits Err context.Canceled, so the method saw "context
// canceled" (and answered it as an application error) at its deadline.
func TestReviewDerivedContextSeesDeadlineExceeded(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	impl := deriver{seen: make(chan error, 1)}
	_, err := remote.Export[Deriver](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	d := remote.Dynamic(cli, remote.Ref{Endpoint: srv.Endpoint(), Object: calcID, Iface: "Deriver"})
	for i := range 4 {
		ctx, cancel := context.WithTimeout(ctxT(t), 200*time.Millisecond)
		_, err := d.Call(ctx, "Derived")
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded, "round %d: the caller", i)
		select {
		case got := <-impl.seen:
			assert.ErrorIs(t, got, context.DeadlineExceeded, "round %d: the method's derived context", i)
		case <-time.After(10 * time.Second):
			t.Fatal("the method never saw its context end")
		}
	}
}

// Lister returns long lists, and pauses.
type Lister interface {
	Many(ctx context.Context, n int) ([]int8, error)
	Pause(ctx context.Context, d time.Duration) error
}

type lister struct{}

func (lister) Many(_ context.Context, n int) ([]int8, error) { return make([]int8, n), nil }
func (lister) Pause(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A result longer than the caller's MaxCollectionLen (a server with
// larger limits, or default limits on both sides: the server does not
// check the caller's collection limits) fails that call alone, as an
// oversized result does (item 3). Before, the caller treated the reply
// as a protocol violation and closed the connection, so every other call
// in flight on it failed as "outcome unknown" while its method ran on.
func TestReviewOverlongResultFailsOnlyItsCall(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	_, err := remote.Export[Lister](srv, lister{}, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	d := remote.Dynamic(cli, remote.Ref{Endpoint: srv.Endpoint(), Object: calcID, Iface: "Lister"})
	_, err = d.Call(ctxT(t), "Pause", time.Duration(0))
	require.NoError(t, err)

	paused := make(chan error, 1)
	go func() {
		_, err := d.Call(ctxT(t), "Pause", 2*time.Second)
		paused <- err
	}()
	time.Sleep(200 * time.Millisecond) // the pause is in flight
	_, err = d.Call(ctxT(t), "Many", wire.MaxCollectionLen+1)
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrLimit, "the long result is refused as a limit: %v", err)
	select {
	case err := <-paused:
		assert.NoError(t, err, "the other call on the connection lives on")
	case <-time.After(10 * time.Second):
		t.Fatal("the paused call never returned")
	}
}

// A peer of C can poison C's claim on a third runtime's object: it sends
// C a reference to A's object X with a wrong key. C's claim is refused,
// its entry for X is marked gone, and when B later gives C the real X
// (the right key), C keeps the entry it has: it never claims X, acks B at
// once, and once B lets go A collects X under C, a live holder.
func TestReviewWrongKeyFromAnotherPeerCannotCostAHolderItsObject(t *testing.T) {
	opts := remote.Options{Listen: "127.0.0.1:0", Lease: 2 * time.Second, TransitTimeout: 2 * time.Second}
	a, b, c := newRuntime(t, opts), newRuntime(t, opts), newRuntime(t, opts)
	m := newRuntime(t, remote.Options{})
	implA := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](a, implA, remote.WithID(calcID))
	require.NoError(t, err)
	_, err = remote.Export[testsvc.Calculator](c, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	ctx := ctxT(t)

	x, err := dialCalc(t, b, a.Endpoint()).NewCounter(ctx, 1)
	require.NoError(t, err)
	ref, _ := remote.RefOf(x)

	// The attacker knows A's id and X's number (both are in any
	// reference of A's, and numbers are sequential), not X's key.
	forged := ref
	forged.Key ^= 0x5a5a
	poison, err := remote.StubOf[testsvc.Counter](m, forged)
	require.NoError(t, err)
	require.NoError(t, dialCalc(t, m, c.Endpoint()).Keep(ctx, "poison", poison))
	require.Eventually(t, func() bool {
		for _, h := range c.Inspect().Held {
			if h.Ref.Runtime == ref.Runtime && h.Ref.Object == ref.Object && h.State != "claiming" {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "C's claim with the forged key is answered")

	// B gives C the real X, then lets go of its own.
	calcC := dialCalc(t, b, c.Endpoint())
	require.NoError(t, calcC.Keep(ctx, "x", x))
	remote.Release(x)

	// C holds X: A must keep it for as long as C does.
	deadline := time.Now().Add(3 * opts.Lease)
	for time.Now().Before(deadline) {
		_, err := calcC.Use(ctx, "x", 1)
		require.NoError(t, err, "C's X was collected while C held it (holders at A: %v)", holderIDs(a, ref))
		time.Sleep(100 * time.Millisecond)
	}
}

// A burst of calls past the server's MaxInflight from a client that
// reads everything: each call beyond the limit is owed a refusal, which
// the heartbeat writes one frame at a time while the reader, which only
// queues them, runs far ahead. Past 4,096 refusals owed the server
// closed the connection as if the client did not read, so the calls it
// had accepted failed as "outcome unknown" with their methods running.
// A refusal must cost that call alone.
func TestReviewBurstPastMaxInflightKeepsTheConnection(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", MaxInflight: 8})
	_, err := remote.Export[Lister](srv, lister{}, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	d := remote.Dynamic(cli, remote.Ref{Endpoint: srv.Endpoint(), Object: calcID, Iface: "Lister"})
	_, err = d.Call(ctxT(t), "Pause", time.Duration(0))
	require.NoError(t, err)

	const calls = 8000
	errs := make(chan error, calls)
	start := make(chan struct{})
	for range calls {
		go func() {
			<-start
			_, err := d.Call(ctxT(t), "Pause", time.Second)
			errs <- err
		}()
	}
	close(start)
	var ok, overloaded int
	for range calls {
		err := <-errs
		switch {
		case err == nil:
			ok++
		case errors.Is(err, objerr.ErrOverloaded):
			overloaded++
		default:
			t.Errorf("a call failed for another reason than overload: %v", err)
			t.FailNow()
		}
	}
	t.Logf("%d calls: %d served, %d refused as overloaded", calls, ok, overloaded)
	assert.Positive(t, ok)
}

// MaxFrameSize is an int, but the hello states it in 32 bits: 4 GiB + 64
// was announced as 64, and every peer refused to send this runtime any
// call over 64 bytes.
func TestReviewHugeMaxFrameSizeIsNotTruncatedInTheHello(t *testing.T) {
	if strconv.IntSize < 64 {
		t.Skip("MaxFrameSize cannot exceed 4 GiB here")
	}
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", MaxFrameSize: 1<<32 + 64})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)
	got, err := calc.Echo(ctxT(t), make([]byte, 1024))
	require.NoError(t, err)
	assert.Len(t, got, 1024)
}

// A large call over a slow but steady link: the writer gives each 64 KiB
// a fresh deadline, so a sender keeps going for as long as bytes move,
// but the receiving reader wants a whole frame within HeartbeatTimeout.
// A 512 KiB argument sent at about 200 KiB/s (2.5 s) to a server whose
// HeartbeatTimeout is 1 s lost the connection, and every call on it.
func TestReviewSlowSteadyLargeFrameKeepsTheConnection(t *testing.T) {
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", HeartbeatInterval: 200 * time.Millisecond, HeartbeatTimeout: time.Second})
	_, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID))
	require.NoError(t, err)
	nc, br := rawHandshake(t, srv.Endpoint())
	handCallParts := func(p []byte) {
		for len(p) > 0 {
			n := min(len(p), 40<<10)
			nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, err := nc.Write(p[:n])
			require.NoError(t, err, "the server dropped a connection whose bytes kept coming")
			p = p[n:]
			time.Sleep(200 * time.Millisecond)
		}
	}
	arg := append([]byte{0x91, 0xc6}, binary.BigEndian.AppendUint32(nil, 512<<10)...) // [bin32 of 512 KiB]
	arg = append(arg, make([]byte, 512<<10)...)
	handCallParts(callFrame(t, "Echo", arg))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := wire.ReadFrame(br, 1<<20)
		require.NoError(t, err, "the server dropped a connection whose bytes kept coming")
		if f.Kind() == wire.KindReturn {
			d := wire.NewDecoder(f.Body())
			var rh wire.ReturnHeader
			require.NoError(t, wire.ReadReturn(d, &rh))
			assert.Zero(t, rh.Code)
			return
		}
	}
}

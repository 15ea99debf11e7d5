package remote_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

const feedID = 101

// feedPair starts a server exporting a Feed at feedID, with opts, and a
// client without a listener, with copts; it returns the client's stub.
func feedPair(t *testing.T, opts, copts remote.Options) (*remote.Runtime, *testsvc.FeedImpl, *remote.Runtime, testsvc.Feed) {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	srv := newRuntime(t, opts)
	require.NoError(t, srv.RegisterError("testsvc.feed", testsvc.ErrFeed))
	impl := testsvc.NewFeed()
	_, err := remote.Export[testsvc.Feed](srv, impl, remote.WithID(feedID))
	require.NoError(t, err)
	cli := newRuntime(t, copts)
	require.NoError(t, cli.RegisterError("testsvc.feed", testsvc.ErrFeed))
	feed, err := remote.Dial[testsvc.Feed](ctxT(t), cli, srv.Endpoint(), feedID)
	require.NoError(t, err)
	return srv, impl, cli, feed
}

// ending waits for the end of one of impl's streams.
func ending(t *testing.T, impl *testsvc.FeedImpl) testsvc.Ending {
	t.Helper()
	select {
	case e := <-impl.Ended:
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("the producer did not end")
		return testsvc.Ending{}
	}
}

func TestStreamDeliversItemsInOrder(t *testing.T) {
	_, impl, _, feed := feedPair(t, remote.Options{}, remote.Options{})
	ctx := ctxT(t)
	items, err := feed.Numbers(ctx, 1000, 3)
	require.NoError(t, err)
	var got []int64
	for it, err := range items {
		require.NoError(t, err)
		require.Len(t, it.Pad, 3)
		got = append(got, it.N)
	}
	require.Len(t, got, 1000)
	for i, n := range got {
		require.Equal(t, int64(i), n)
	}
	e := ending(t, impl)
	assert.Equal(t, testsvc.Ending{Sent: 1000}, e)

	// An empty stream, and a small window: one item ahead at a time.
	empty, err := feed.Numbers(ctx, 0, 0)
	require.NoError(t, err)
	for range empty {
		t.Fatal("an empty stream yielded")
	}
	n := 0
	few, err := feed.Numbers(remote.WithStreamWindow(ctx, 1, 0), 50, 0)
	require.NoError(t, err)
	for _, err := range few {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 50, n)
}

// The method's error, before any item, is the call's error; an error the
// iterator yields ends the stream with that error, which errors.Is
// matches against the registered sentinel; so does a panic.
func TestStreamErrors(t *testing.T) {
	_, impl, _, feed := feedPair(t, remote.Options{}, remote.Options{})
	ctx := ctxT(t)

	items, err := feed.Fail(ctx, 0, "refuse")
	require.ErrorIs(t, err, testsvc.ErrFeed)
	assert.ErrorIs(t, err, objerr.ErrRemote)
	assert.Nil(t, items)

	for how, want := range map[string]error{"error": testsvc.ErrFeed, "panic": objerr.ErrPanic} {
		items, err := feed.Fail(ctx, 3, how)
		require.NoError(t, err)
		var got []int64
		var last error
		for it, err := range items {
			if err != nil {
				last = err
				continue
			}
			require.NoError(t, last, "no item after the error")
			got = append(got, it.N)
		}
		assert.Equal(t, []int64{0, 1, 2}, got, how)
		require.ErrorIs(t, last, want, how)
		assert.ErrorIs(t, last, objerr.ErrRemote, how)
		assert.Contains(t, last.Error(), "Feed.Fail", how)
		if how == "error" {
			assert.Equal(t, testsvc.Ending{Sent: 3, Stopped: true}, ending(t, impl), "yield returned false after the error")
		}
	}
}

// Breaking out of the loop cancels the producer's context, with
// ErrCallerCanceled: its next yield returns false.
func TestStreamBreakCancelsProducer(t *testing.T) {
	_, impl, _, feed := feedPair(t, remote.Options{}, remote.Options{})
	items, err := feed.Numbers(ctxT(t), -1, 0)
	require.NoError(t, err)
	n := 0
	for _, err := range items {
		require.NoError(t, err)
		if n++; n == 5 {
			break
		}
	}
	e := ending(t, impl)
	assert.True(t, e.Stopped)
	assert.Equal(t, objerr.ErrCallerCanceled.Error(), e.Cause)
	t.Logf("the producer sent %d items, the consumer took 5", e.Sent)

	// Ranging again yields one error: the iterator is single-use.
	var errs []error
	for _, err := range items {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], objerr.ErrUnsupported)
	assert.Contains(t, errs[0].Error(), "single-use")
}

// Cancelling the consumer's context ends the stream on both sides: the
// loop gets the context's error, the producer ErrCallerCanceled.
func TestStreamContextCancelCancelsProducer(t *testing.T) {
	_, impl, _, feed := feedPair(t, remote.Options{}, remote.Options{})
	ctx, cancel := context.WithCancel(ctxT(t))
	items, err := feed.Idle(ctx, 0)
	require.NoError(t, err)
	time.AfterFunc(50*time.Millisecond, cancel)
	var errs []error
	for _, err := range items {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
	assert.ErrorIs(t, errs[0], objerr.ErrOutcomeUnknown)
	assert.Equal(t, objerr.ErrCallerCanceled.Error(), ending(t, impl).Cause)

	// A deadline ends the producer as a deadline, on both sides.
	ctx, cancel = context.WithTimeout(ctxT(t), 100*time.Millisecond)
	defer cancel()
	items, err = feed.Idle(ctx, 0)
	require.NoError(t, err)
	for _, err := range items {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Equal(t, context.DeadlineExceeded.Error(), ending(t, impl).Cause)
}

// A stream that nobody ranges over ends when the context of the call
// that opened it ends, or when Go collects its iterator.
func TestStreamNeverRangedOver(t *testing.T) {
	_, impl, _, feed := feedPair(t, remote.Options{}, remote.Options{})
	ctx, cancel := context.WithCancel(ctxT(t))
	_, err := feed.Idle(ctx, 0)
	require.NoError(t, err)
	cancel()
	assert.Equal(t, objerr.ErrCallerCanceled.Error(), ending(t, impl).Cause)

	func() {
		items, err := feed.Idle(ctxT(t), 0)
		require.NoError(t, err)
		require.NotNil(t, items)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		runtime.GC()
		select {
		case e := <-impl.Ended:
			assert.Equal(t, objerr.ErrCallerCanceled.Error(), e.Cause)
			return
		case <-time.After(10 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "the collected iterator's stream was not cancelled")
	}
}

// The server runs at most a window of items ahead of a consumer that
// stops taking them: it waits for credit, holding no item.
func TestStreamFlowControl(t *testing.T) {
	_, impl, _, feed := feedPair(t, remote.Options{}, remote.Options{})
	ctx := ctxT(t)
	sent := func() int64 {
		s, err := feed.Sent(ctx)
		require.NoError(t, err)
		return s.Sent
	}
	const window = 8
	items, err := feed.Numbers(remote.WithStreamWindow(ctx, window, 0), -1, 100)
	require.NoError(t, err)
	taken := 0
	for _, err := range items {
		require.NoError(t, err)
		taken++
		if taken == 1 {
			// Stop taking items for a while: the producer fills the
			// window, then waits.
			require.Eventually(t, func() bool { return sent() == window }, 10*time.Second, time.Millisecond)
			time.Sleep(200 * time.Millisecond)
			require.Equal(t, int64(window), sent(), "no item beyond the window")
		}
		require.LessOrEqual(t, sent(), int64(taken+window))
		if taken == 300 {
			break
		}
	}
	e := ending(t, impl)
	assert.LessOrEqual(t, e.Sent, int64(taken+window))

	// A byte window smaller than a window of items holds the queue to
	// about that many bytes, once the first items show their size.
	items, err = feed.Numbers(remote.WithStreamWindow(ctx, 64, 40<<10), -1, 10<<10)
	require.NoError(t, err)
	before := sent()
	taken = 0
	for _, err := range items {
		require.NoError(t, err)
		taken++
		if taken == 100 {
			break
		}
		if taken > 64 { // after the first window, counted in items
			require.LessOrEqual(t, sent()-before, int64(taken+4), "about 40 KiB of 10 KiB items")
		}
	}
	ending(t, impl)
}

// Items that are remote interfaces arrive as working stubs, held through
// the DGC like any result: released, their objects are unreferenced.
func TestStreamItemsAreRemoteReferences(t *testing.T) {
	_, impl, _, feed := feedPair(t, remote.Options{}, remote.Options{})
	ctx := ctxT(t)
	counters, err := feed.Counters(ctx, 3)
	require.NoError(t, err)
	var got []testsvc.Counter
	for k, err := range counters {
		require.NoError(t, err)
		got = append(got, k)
	}
	require.Len(t, got, 3)
	for i, k := range got {
		n, err := k.Incr(ctx, 10)
		require.NoError(t, err)
		assert.Equal(t, int64(i+10), n)
		_, local := k.(interface{ Unreferenced() })
		assert.False(t, local, "a stub, not the object")
	}
	for _, k := range got {
		remote.Release(k)
	}
	seen := map[int64]bool{}
	for len(seen) < 3 {
		select {
		case start := <-impl.Calc.Unreferenced:
			seen[start] = true
		case <-time.After(20 * time.Second):
			t.Fatalf("unreferenced: %v of 3", seen)
		}
	}
}

// An item larger than the caller's MaxFrameSize fails the stream with
// CodeResultLimit, not the connection.
func TestStreamItemTooLarge(t *testing.T) {
	srv, _, _, feed := feedPair(t, remote.Options{}, remote.Options{MaxFrameSize: 64 << 10})
	ctx := ctxT(t)
	items, err := feed.Fail(ctx, 100<<10, "huge")
	require.NoError(t, err)
	var errs []error
	for _, err := range items {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	var oe *objerr.Error
	require.ErrorAs(t, errs[0], &oe)
	assert.Equal(t, objerr.CodeResultLimit, oe.Code)
	assert.ErrorIs(t, errs[0], objerr.ErrLimit)
	assert.Contains(t, errs[0].Error(), "MaxFrameSize")

	items, err = feed.Numbers(ctx, 3, 0)
	require.NoError(t, err)
	for _, err := range items {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, srv.Inspect().Conns, "the same connection")
}

// A dynamic call cannot take a stream: it is refused, not sent.
func TestStreamDynamicCallIsRefused(t *testing.T) {
	_, _, cli, feed := feedPair(t, remote.Options{}, remote.Options{})
	ref, ok := remote.RefOf(feed)
	require.True(t, ok)
	_, err := remote.Dynamic(cli, ref).Call(ctxT(t), "Numbers", 3, 0)
	require.ErrorIs(t, err, objerr.ErrUnsupported)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.Contains(t, err.Error(), "streams its results")
}

// Items the caller has credit for may wait in the server's write buffer
// for the items after them, to share a write; never for long. A producer
// that yields one item and then waits still delivers it: with pings 30 s
// apart, nothing else would flush it.
func TestStreamItemIsNotHeldBack(t *testing.T) {
	quiet := remote.Options{HeartbeatInterval: 30 * time.Second}
	_, impl, _, feed := feedPair(t, quiet, quiet)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	items, err := feed.Idle(ctx, 1)
	require.NoError(t, err)
	got := make(chan int64, 1)
	go func() {
		for it, err := range items {
			if err == nil {
				got <- it.N
			}
			return
		}
	}()
	select {
	case n := <-got:
		assert.Equal(t, int64(0), n)
	case <-time.After(5 * time.Second):
		t.Fatal("the item stayed in the server's buffer")
	}
	cancel()
	ending(t, impl)
}

// A group stub opens a stream on one member it picks, and the items come
// through that member's references.
func TestStreamThroughAGroupStub(t *testing.T) {
	srv, _, cli, _ := feedPair(t, remote.Options{}, remote.Options{})
	g, err := remote.NewGroup(cli, "feeds", remote.GroupOptions{})
	require.NoError(t, err)
	defer g.Close()
	g.Set([]remote.Ref{remote.WellKnown(srv.Endpoint(), feedID, "Feed")})
	feed, err := remote.GroupStub[testsvc.Feed](g)
	require.NoError(t, err)
	items, err := feed.Numbers(ctxT(t), 10, 1)
	require.NoError(t, err)
	n := 0
	for _, err := range items {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 10, n)
}

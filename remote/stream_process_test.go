package remote_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Streams across processes: a server whose memory is measured while its
// consumer is slow, and consumers killed with -9.

// childFeedServer exports a Feed at feedID, prints its endpoint and runs
// until it is killed.
func childFeedServer() {
	childServe(remote.Options{Listen: "127.0.0.1:0"}, func(rt *remote.Runtime) error {
		_, err := remote.Export[testsvc.Feed](rt, testsvc.NewFeed(), remote.WithID(feedID))
		return err
	})
}

// childStreamClient opens a stream of the Feed at endpoint (act
// "numbers": endless items, of which it takes one; "idle": a stream
// that yields nothing), says "streaming", and takes nothing more until
// it is killed.
func childStreamClient(act, endpoint string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child stream client:", err)
		os.Exit(2)
	}
	rt, err := remote.NewRuntime(remote.Options{})
	if err != nil {
		fail(err)
	}
	ctx := remote.WithStreamWindow(context.Background(), 8, 0)
	feed, err := remote.Dial[testsvc.Feed](ctx, rt, endpoint, feedID)
	if err != nil {
		fail(err)
	}
	switch act {
	case "numbers":
		items, err := feed.Numbers(ctx, -1, 0)
		if err != nil {
			fail(err)
		}
		for _, err := range items {
			if err != nil {
				fail(err)
			}
			fmt.Println("streaming")
			select {} // the consumer stops reading
		}
	case "idle":
		items, err := feed.Idle(ctx, 0)
		if err != nil {
			fail(err)
		}
		held = items
		fmt.Println("streaming")
		select {}
	}
	fail(fmt.Errorf("unknown act %q", act))
}

// A consumer that is slow, then stops reading, keeps the server's memory
// flat: the producer waits for credit, never more than the window ahead,
// and holds no item. The server is a child process; its resident set is
// read from /proc.
func TestSlowStreamConsumerKeepsServerMemoryFlat(t *testing.T) {
	cmd, endpoint, _ := runChild(t, childEnv+"=feed-server")
	pid := cmd.Process.Pid
	cli := newRuntime(t, remote.Options{})
	ctx := ctxT(t)
	feed, err := remote.Dial[testsvc.Feed](ctx, cli, endpoint, feedID)
	require.NoError(t, err)

	const pad = 64 << 10 // 64 KiB items
	const window = 16    // 1 MiB of items
	wctx := remote.WithStreamWindow(ctx, window, window*pad)
	// Warm up: the code paths and the buffers of a fast stream of the
	// same items, so the baseline is the server's working size.
	warm, err := feed.Numbers(wctx, 500, pad)
	require.NoError(t, err)
	for _, err := range warm {
		require.NoError(t, err)
	}
	stats, err := feed.Sent(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(500), stats.Sent)
	base := rss(pid, "VmRSS")
	require.NotZero(t, base)

	items, err := feed.Numbers(wctx, -1, pad)
	require.NoError(t, err)
	peak, taken := base, 0
	sample := func() {
		peak = max(peak, rss(pid, "VmRSS"))
		s, err := feed.Sent(ctx)
		require.NoError(t, err)
		require.LessOrEqual(t, s.Sent-500, int64(taken+window), "the producer ran past the window")
	}
	slowUntil := time.Now().Add(2 * time.Second)
	for _, err := range items {
		require.NoError(t, err)
		taken++
		sample()
		if time.Now().Before(slowUntil) {
			time.Sleep(20 * time.Millisecond) // a slow consumer: ~50 items a second
			continue
		}
		// Then one that stops reading: the producer waits.
		for range 20 {
			time.Sleep(50 * time.Millisecond)
			sample()
		}
		break
	}
	s, err := feed.Sent(ctx)
	require.NoError(t, err)
	grew := peak - base
	t.Logf("server RSS: baseline %d KiB, peak %d KiB while the consumer was slow then stopped (+%d KiB); VmHWM %d KiB; "+
		"consumer took %d items of %d KiB, producer sent %d (window %d)",
		base, peak, grew, rss(pid, "VmHWM"), taken, pad>>10, s.Sent-500, window)
	assert.Less(t, grew, 16<<10, "the server's resident set grew by more than 16 MiB")
}

// A consumer killed with -9 stops its producer: at once if the producer
// waits for credit (the stream cannot go on without the connection),
// and through the orphan logic, within the grace period, if it waits on
// its own context.
func TestKilledStreamConsumerStopsProducer(t *testing.T) {
	const grace = 500 * time.Millisecond
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0", OrphanGrace: grace, LeaseCheckInterval: 20 * time.Millisecond})
	impl := testsvc.NewFeed()
	_, err := remote.Export[testsvc.Feed](srv, impl, remote.WithID(feedID))
	require.NoError(t, err)
	for _, act := range []string{"numbers", "idle"} {
		t.Run(act, func(t *testing.T) {
			cmd, line, _ := runChild(t, childEnv+"=stream-client", childActEnv+"="+act, childEndpointEnv+"="+srv.Endpoint())
			require.Equal(t, "streaming", line)
			if act == "numbers" {
				require.Eventually(t, func() bool {
					s, _ := impl.Sent(context.Background())
					return s.Sent >= 8
				}, 10*time.Second, 5*time.Millisecond, "the producer fills the window")
			}
			killed := kill(t, cmd)
			e := ending(t, impl)
			took := time.Since(killed)
			t.Logf("%s: the producer ended %v after kill -9 (grace %v): %+v", act, took.Round(time.Millisecond), grace, e)
			assert.Less(t, took, 5*grace)
			if act == "idle" {
				assert.Contains(t, e.Cause, objerr.ErrOrphaned.Error())
			} else {
				assert.True(t, e.Stopped, "its yield returned false")
				assert.LessOrEqual(t, e.Sent, int64(8+1))
			}
		})
	}
}

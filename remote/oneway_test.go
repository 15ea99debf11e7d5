package remote_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

const roomID = 101

// roomPair exports room on a server with opts and dials it from a client.
func roomPair(t *testing.T, room *testsvc.RoomImpl, opts remote.Options) (*remote.Runtime, *remote.Runtime, testsvc.Room) {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	srv := newRuntime(t, opts)
	_, err := remote.Export[testsvc.Room](srv, room, remote.WithID(roomID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	r, err := remote.Dial[testsvc.Room](ctxT(t), cli, srv.Endpoint(), roomID)
	require.NoError(t, err)
	return srv, cli, r
}

// A oneway method returns once its call is written: the method, held at
// its gate, has not run yet. Then it runs, with no reply.
func TestOneWayReturnsBeforeTheMethodRuns(t *testing.T) {
	room := &testsvc.RoomImpl{Gate: make(chan struct{}), Ran: make(chan string, 1)}
	_, _, r := roomPair(t, room, remote.Options{})
	require.NoError(t, r.Post(ctxT(t), "hello"))
	select {
	case msg := <-room.Ran:
		t.Fatalf("the post ran (%q) before the gate opened", msg)
	default:
	}
	room.Gate <- struct{}{}
	assert.Equal(t, "hello", <-room.Ran)
	posts, err := r.Posts(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"hello"}, posts)
}

// A oneway method that fails or panics is logged and counted on the
// server, and the server keeps serving; the caller heard nil.
func TestOneWayFailuresAreLoggedAndCountedOnTheServer(t *testing.T) {
	var log testutil.Buffer
	room := &testsvc.RoomImpl{Ran: make(chan string, 2)}
	srv, _, r := roomPair(t, room, remote.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, r.Post(ctxT(t), "fail"))
	require.NoError(t, r.Post(ctxT(t), "panic"))
	<-room.Ran
	<-room.Ran
	require.Eventually(t, func() bool { return srv.Inspect().OneWayFailed == 2 }, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, log.String(), "one-way call failed")
	assert.Contains(t, log.String(), "the post was refused")
	assert.Contains(t, log.String(), "Room.Post")
	_, err := r.Withdraw(ctxT(t), 1)
	require.NoError(t, err)
}

// A oneway call to a server that is gone is not sent, and says so. (Until
// the client learns the connection is gone, a write can still succeed:
// nil says the call was written, no more.)
func TestOneWayOnAClosedServerIsNotSent(t *testing.T) {
	srv, cli, r := roomPair(t, &testsvc.RoomImpl{}, remote.Options{})
	srv.Close()
	require.Eventually(t, func() bool { return cli.Inspect().Conns == 0 }, 5*time.Second, 10*time.Millisecond)
	err := r.Post(ctxT(t), "lost")
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrNotSent, "%v", err)
}

// A flood of oneway calls against a server that runs two at a time is
// slowed to its speed: the server stops reading rather than queueing
// them, and every call runs, none dropped, on a healthy connection.
func TestOneWayFloodIsHeldBackNotQueuedOrLost(t *testing.T) {
	room := &testsvc.RoomImpl{Gate: make(chan struct{})}
	srv, _, r := roomPair(t, room, remote.Options{MaxInflight: 2, HeartbeatInterval: 500 * time.Millisecond,
		HeartbeatTimeout: 10 * time.Second})
	const n = 200
	sent := make(chan error, 1)
	go func() {
		for i := range n {
			if err := r.Post(ctxT(t), strings.Repeat("x", i%7)); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	// With both slots held at the gate, the server holds at most the two
	// running calls and the one its reader waits with.
	require.Eventually(t, func() bool { return srv.Inspect().Serving == 2 }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	assert.LessOrEqual(t, srv.Inspect().Serving, 2)
	go func() {
		for range n {
			room.Gate <- struct{}{}
		}
	}()
	require.NoError(t, <-sent)
	require.Eventually(t, func() bool {
		posts, err := r.Posts(ctxT(t))
		return err == nil && len(posts) == n
	}, 10*time.Second, 10*time.Millisecond)
	assert.Zero(t, srv.Inspect().OneWayDropped)
}

// A Dynamic handle learns from the server that Post is oneway.
func TestDynamicLearnsTheServersMarks(t *testing.T) {
	room := &testsvc.RoomImpl{Gate: make(chan struct{}), Ran: make(chan string, 1)}
	srv, cli, _ := roomPair(t, room, remote.Options{})
	dy := remote.Dynamic(cli, remote.WellKnown(srv.Endpoint(), roomID, "Room"))
	defer dy.Release()
	out, err := dy.Call(ctxT(t), "Post", "dynamic")
	require.NoError(t, err) // returned with the method held at its gate
	assert.Empty(t, out)
	room.Gate <- struct{}{}
	assert.Equal(t, "dynamic", <-room.Ran)
}

// A oneway call is not an orphan when its caller goes: it was sent to
// have its effect, and it still has it.
func TestOneWayOutlivesItsCaller(t *testing.T) {
	room := &testsvc.RoomImpl{Gate: make(chan struct{}), Ran: make(chan string, 1)}
	srv, cli, r := roomPair(t, room, remote.Options{})
	require.NoError(t, r.Post(ctxT(t), "last words"))
	require.Eventually(t, func() bool { return srv.Inspect().Serving == 1 }, 5*time.Second, 5*time.Millisecond)
	cli.Close()
	require.Eventually(t, func() bool { return srv.Inspect().Conns == 0 }, 5*time.Second, 10*time.Millisecond)
	room.Gate <- struct{}{}
	assert.Equal(t, "last words", <-room.Ran)
	posts, _ := room.Posts(context.Background())
	assert.Equal(t, []string{"last words"}, posts)
	assert.Zero(t, srv.Inspect().OrphansCancelled)
}

// A call that targets the result of another call (promise pipelining) is
// answered "unsupported", not run, and the connection lives on.
func TestPromiseTargetIsRefusedAsUnsupported(t *testing.T) {
	srv, _, _ := roomPair(t, &testsvc.RoomImpl{}, remote.Options{})
	nc, br := rawHandshake(t, srv.Endpoint())
	it := ifaceOf[testsvc.Room](t)
	m := it.ByName("Withdraw")
	b := wire.GetBuffer(wire.KindCall)
	e := wire.NewEncoder(b)
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: 1, Object: 5, Method: m.Hash, Flags: wire.FlagPromise}))
	require.NoError(t, codec.EncodeList(e, m.In, []any{int64(1)}, nil))
	e.Release()
	_, err := nc.Write(b.Bytes())
	require.NoError(t, err)
	b.Release()
	code, msg := readReply(t, nc, br, 1)
	assert.Equal(t, objerr.CodeUnsupported, code)
	assert.Contains(t, msg, "promise pipelining")
	_, err = nc.Write(callFrameOf(t, 2, roomID, m.Hash, "", m.In, []any{int64(1)}, nil))
	require.NoError(t, err)
	code, msg = readReply(t, nc, br, 2)
	assert.Zero(t, code, msg)
}

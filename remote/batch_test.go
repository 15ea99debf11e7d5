package remote_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// batchPair is pair with the client's calls going through a frame
// counter, and the client's options.
func batchPair(t *testing.T, srvOpts, cliOpts remote.Options) (*remote.Runtime, *testsvc.Calc, testsvc.Calculator, *frameCounter) {
	t.Helper()
	srvOpts.Listen = "127.0.0.1:0"
	srv := newRuntime(t, srvOpts)
	require.NoError(t, srv.RegisterError("testsvc.div0", testsvc.ErrDivByZero))
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	fc := newFrameCounter(t, srv.Endpoint())
	cli := newRuntime(t, cliOpts)
	require.NoError(t, cli.RegisterError("testsvc.div0", testsvc.ErrDivByZero))
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, fc.addr(), calcID)
	require.NoError(t, err)
	fc.counts() // the dial's probe
	return srv, impl, calc, fc
}

// batched returns calc's async form bound to b.
func batched(t *testing.T, b *remote.Batch, calc testsvc.Calculator) testsvc.CalculatorAsync {
	t.Helper()
	bc, err := remote.InBatch(b, calc)
	require.NoError(t, err)
	return testsvc.AsyncCalculator(bc)
}

// A batch's calls travel in one frame, run in order on the server, and
// come back in one frame: one round trip, counted on the wire.
func TestBatchIsOneFrameEachWayAndRunsInOrder(t *testing.T) {
	srv, _, calc, fc := batchPair(t, remote.Options{}, remote.Options{})
	room := &testsvc.RoomImpl{}
	_, err := remote.Export[testsvc.Room](srv, room, remote.WithID(roomID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	r, err := remote.Dial[testsvc.Room](ctxT(t), cli, fc.addr(), roomID)
	require.NoError(t, err)
	fc.counts()

	ctx := ctxT(t)
	b := remote.NewBatch()
	br, err := remote.InBatch(b, r)
	require.NoError(t, err)
	ar := testsvc.AsyncRoom(br)
	var ws []*remote.Future[int64]
	for i := range 100 {
		ws = append(ws, ar.Withdraw(ctx, int64(i)))
	}
	post := ar.Post(ctx, "after the withdrawals") // oneway, in the batch
	posts := ar.Posts(ctx)
	assert.Equal(t, 102, b.Len())
	select {
	case <-ws[0].Done():
		t.Fatal("a call of a batch ended before the batch was sent")
	default:
	}
	require.NoError(t, b.Send(ctx))
	balances, err := remote.AwaitAll(ctx, ws...)
	require.NoError(t, err)
	want := int64(0)
	for i, got := range balances {
		want -= int64(i)
		require.Equal(t, want, got, "withdrawal %d ran out of order", i)
	}
	_, err = post.Await(ctx)
	require.NoError(t, err)
	p, err := posts.Await(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"after the withdrawals"}, p, "the oneway post ran in its place, before Posts")

	up, down := fc.counts()
	assert.Equal(t, map[wire.Kind]int{wire.KindBatch: 1}, up, "one frame to the server")
	assert.Equal(t, map[wire.Kind]int{wire.KindBatchReturn: 1}, down, "one frame back")
	_ = calc
}

// One call's failure fails that call alone; with StopOnError, the calls
// after it do not run and fail as not sent.
func TestBatchFailureAndStopOnError(t *testing.T) {
	_, _, calc, _ := batchPair(t, remote.Options{}, remote.Options{})
	ctx := ctxT(t)
	run := func(opts ...remote.BatchOption) (a, d, c *remote.Future[int64]) {
		b := remote.NewBatch(opts...)
		bc := batched(t, b, calc)
		a, d, c = bc.Add(ctx, 1, 2), bc.Div(ctx, 1, 0), bc.Add(ctx, 3, 4)
		require.NoError(t, b.Send(ctx))
		return a, d, c
	}
	a, d, c := run()
	got, err := remote.AwaitAll(ctx, a, d, c)
	assert.ErrorIs(t, err, testsvc.ErrDivByZero)
	assert.Equal(t, []int64{3, 0, 7}, got)

	a, d, c = run(remote.StopOnError())
	sum, err := a.Await(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum)
	_, err = d.Await(ctx)
	assert.ErrorIs(t, err, testsvc.ErrDivByZero)
	_, err = c.Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrBatchStopped)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, "Calculator.Add")
	assert.ErrorContains(t, err, "stops at the first error")
}

// A batch whose frame would exceed the server's MaxFrameSize is refused
// before anything is sent; the connection goes on.
func TestBatchLargerThanTheFrameLimitIsRefusedBeforeSending(t *testing.T) {
	_, _, calc, fc := batchPair(t, remote.Options{MaxFrameSize: 64 << 10}, remote.Options{})
	ctx := ctxT(t)
	b := remote.NewBatch()
	bc := batched(t, b, calc)
	var fs []*remote.Future[[]byte]
	for range 10 {
		fs = append(fs, bc.Echo(ctx, make([]byte, 10<<10)))
	}
	err := b.Send(ctx)
	require.ErrorIs(t, err, objerr.ErrLimit)
	require.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, "MaxFrameSize")
	for _, f := range fs {
		_, err := f.Await(ctx)
		assert.ErrorIs(t, err, objerr.ErrLimit)
		assert.ErrorIs(t, err, objerr.ErrNotSent)
		assert.ErrorContains(t, err, "Calculator.Echo")
	}
	up, _ := fc.counts()
	assert.Zero(t, up[wire.KindBatch], "nothing was sent")
	sum, err := calc.Add(ctx, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, int64(2), sum)
	// A second Send is refused: a batch goes once.
	assert.ErrorContains(t, b.Send(ctx), "sent already")
}

// A batch holds at most wire.MaxBatch calls: the next is refused at
// once, not sent.
func TestBatchOfTooManyCallsIsRefused(t *testing.T) {
	_, _, calc, _ := batchPair(t, remote.Options{}, remote.Options{})
	ctx := ctxT(t)
	b := remote.NewBatch()
	bc := batched(t, b, calc)
	for i := range wire.MaxBatch {
		bc.Add(ctx, int64(i), 0)
	}
	_, err := bc.Add(ctx, 1, 1).Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrLimit)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, "at most 1024 calls")
	require.NoError(t, b.Send(ctx))
}

// Replies that together would exceed the caller's MaxFrameSize fail the
// calls that do not fit, with CodeResultLimit, not the connection.
func TestBatchRepliesBeyondTheCallersFrameLimitFailOnlyThoseCalls(t *testing.T) {
	_, _, calc, _ := batchPair(t, remote.Options{}, remote.Options{MaxFrameSize: 64 << 10})
	ctx := ctxT(t)
	b := remote.NewBatch()
	bc := batched(t, b, calc)
	var fs []*remote.Future[[]byte]
	for range 4 {
		fs = append(fs, bc.Echo(ctx, make([]byte, 20<<10)))
	}
	small := bc.Add(ctx, 2, 2)
	require.NoError(t, b.Send(ctx))
	ok, refused := 0, 0
	for _, f := range fs {
		p, err := f.Await(ctx)
		if err == nil {
			ok++
			assert.Len(t, p, 20<<10)
			continue
		}
		refused++
		assert.ErrorIs(t, err, objerr.ErrLimit)
		assert.Equal(t, objerr.CodeResultLimit, objerr.CodeOf(err))
		assert.ErrorContains(t, err, "MaxFrameSize")
	}
	assert.Equal(t, 3, ok, "three replies fit in 64 KiB")
	assert.Equal(t, 1, refused)
	sum, err := small.Await(ctx)
	require.NoError(t, err, "a small reply after a refused one still fits")
	assert.Equal(t, int64(4), sum)
	_, err = calc.Add(ctx, 1, 1)
	require.NoError(t, err, "the connection lives on")
}

// The server's rules decide each call of a batch as they decide a single
// call: Options.Authorize and WithAuthorize alike.
func TestBatchCallsAreAuthorizedOneByOne(t *testing.T) {
	var seen []string
	srv, _, calc, _ := batchPair(t, remote.Options{Authorize: func(_ context.Context, c remote.Call) error {
		if c.Method != "" { // not Dial's probe
			seen = append(seen, c.Method)
		}
		if c.Method == "Div" {
			return errors.New("no division here")
		}
		return nil
	}}, remote.Options{})
	ctx := ctxT(t)
	b := remote.NewBatch()
	bc := batched(t, b, calc)
	a, d, c := bc.Add(ctx, 1, 1), bc.Div(ctx, 4, 2), bc.Add(ctx, 2, 2)
	require.NoError(t, b.Send(ctx))
	got, err := remote.AwaitAll(ctx, a, d, c)
	assert.ErrorIs(t, err, objerr.ErrAccessDenied)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.Equal(t, []int64{2, 0, 4}, got)
	assert.Equal(t, []string{"Add", "Div", "Add"}, seen)

	// An export's own rule too.
	room := &testsvc.RoomImpl{}
	_, err = remote.Export[testsvc.Room](srv, room, remote.WithID(roomID), remote.WithAuthorize(func(_ context.Context, c remote.Call) error {
		if c.Method == "Withdraw" {
			return errors.New("the room keeps its money")
		}
		return nil
	}))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	r, err := remote.Dial[testsvc.Room](ctx, cli, srv.Endpoint(), roomID)
	require.NoError(t, err)
	b = remote.NewBatch()
	br, err := remote.InBatch(b, r)
	require.NoError(t, err)
	ar := testsvc.AsyncRoom(br)
	topic, w := ar.SetTopic(ctx, "t"), ar.Withdraw(ctx, 5)
	require.NoError(t, b.Send(ctx))
	_, err = topic.Await(ctx)
	require.NoError(t, err)
	_, err = w.Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrAccessDenied)
	assert.ErrorContains(t, err, "the room keeps its money")
}

// Cancelling a call of a batch that was sent stops it on the server,
// and the batch goes on; one cancelled before Send is left out.
func TestBatchCallsCancelOneByOne(t *testing.T) {
	_, impl, calc, fc := batchPair(t, remote.Options{}, remote.Options{})
	ctx := ctxT(t)
	b := remote.NewBatch()
	bc := batched(t, b, calc)
	dropped := bc.Add(ctx, 9, 9)
	dropped.Cancel()
	_, err := dropped.Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrNotSent, "cancelled before Send: never sent")
	wait := bc.Wait(ctx, time.Hour)
	after := bc.Add(ctx, 1, 2)
	require.NoError(t, b.Send(ctx))
	<-impl.Started
	wait.Cancel()
	_, err = wait.Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrCanceled)
	assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
	seen := <-impl.Ended
	assert.True(t, seen.Canceled)
	assert.Contains(t, seen.Cause, objerr.ErrCallerCanceled.Error())
	sum, err := after.Await(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(3), sum)
	up, _ := fc.counts()
	assert.Equal(t, 1, up[wire.KindBatch])
	assert.Equal(t, 1, up[wire.KindCancel])
}

// A batch goes to one runtime; a stub bound to a batch takes only async
// calls; a local object cannot be batched.
func TestBatchMisuseIsRefused(t *testing.T) {
	_, _, calc, _ := batchPair(t, remote.Options{}, remote.Options{})
	_, _, _, other := pair(t)
	ctx := ctxT(t)
	b := remote.NewBatch()
	bc := batched(t, b, calc)
	first := bc.Add(ctx, 1, 1)
	_, err := batched(t, b, other).Add(ctx, 1, 1).Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, "one runtime")

	sync, err := remote.InBatch(b, calc)
	require.NoError(t, err)
	_, err = sync.Add(ctx, 1, 1)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, "async form")

	_, err = remote.InBatch[testsvc.Calculator](b, testsvc.NewCalc())
	assert.ErrorContains(t, err, "not a stub")

	require.NoError(t, b.Send(ctx))
	_, err = first.Await(ctx)
	require.NoError(t, err)
	_, err = bc.Add(ctx, 1, 1).Await(ctx)
	assert.ErrorContains(t, err, "sent already")
}

// A batch whose connection dies fails each of its calls as outcome
// unknown; it never hangs.
func TestBatchOnADeadConnectionFails(t *testing.T) {
	calc, kill := silentCalc(t, remote.Options{})
	ctx := ctxT(t)
	b := remote.NewBatch()
	bc := batched(t, b, calc)
	fs := []*remote.Future[int64]{bc.Add(ctx, 1, 1), bc.Add(ctx, 2, 2)}
	require.NoError(t, b.Send(ctx))
	kill()
	for _, f := range fs {
		select {
		case <-f.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a batched call hung after its connection died")
		}
		_, err := f.Await(ctx)
		assert.ErrorIs(t, err, objerr.ErrOutcomeUnknown)
		assert.ErrorIs(t, err, objerr.ErrConnection)
	}
}

// A server with every slot taken refuses a batch whole, as overloaded:
// none of its calls ran, and the connection goes on.
func TestBatchOnAFullServerIsRefusedAsOverloaded(t *testing.T) {
	_, impl, calc, _ := batchPair(t, remote.Options{MaxInflight: 1}, remote.Options{})
	ctx := ctxT(t)
	busy := testsvc.AsyncCalculator(calc).Wait(ctx, time.Hour)
	<-impl.Started
	b := remote.NewBatch()
	bc := batched(t, b, calc)
	f := bc.Add(ctx, 1, 1)
	require.NoError(t, b.Send(ctx))
	_, err := f.Await(ctx)
	assert.ErrorIs(t, err, objerr.ErrOverloaded)
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorContains(t, err, "MaxInflight")
	busy.Cancel()
	<-impl.Ended
	require.Eventually(t, func() bool {
		_, err := calc.Add(ctx, 1, 1)
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
}

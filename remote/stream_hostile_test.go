package remote_test

import (
	"bufio"
	"bytes"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Hand-made stream frames: a client whose credit frames no runtime would
// write, and a server whose items no runtime would send.

// frameOf seals a frame of kind k whose body is body.
func frameOf(k wire.Kind, body []byte) []byte {
	b := wire.GetBuffer(k)
	defer b.Release()
	b.B = append(b.B, body...)
	return bytes.Clone(b.Bytes())
}

// idBytes is a call id as frames carry it.
func idBytes(id uint64) []byte {
	b := wire.GetBuffer(wire.KindCredit)
	defer b.Release()
	b.PutID(id)
	return bytes.Clone(b.B[5:])
}

func creditFrame(id, n uint64) []byte {
	b := wire.GetBuffer(wire.KindCredit)
	defer b.Release()
	wire.PutCredit(b, id, n)
	return bytes.Clone(b.Bytes())
}

// streamCallFrame is a call of method m of the Feed at feedID asking for
// a stream with credit.
func streamCallFrame(t *testing.T, id uint64, method string, credit uint64, args ...any) []byte {
	t.Helper()
	m := ifaceOf[testsvc.Feed](t).ByName(method)
	b := wire.GetBuffer(wire.KindCall)
	defer b.Release()
	e := wire.NewEncoder(b)
	defer e.Release()
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: id, Object: feedID, Method: m.Hash, Flags: wire.FlagStream, Credit: credit}))
	require.NoError(t, e.EncodeArrayLen(len(args)))
	for _, a := range args {
		require.NoError(t, e.Encode(a))
	}
	return bytes.Clone(b.Bytes())
}

// readItems counts the item frames of call id that arrive until none has
// for quiet, and fails on any other frame for it.
func readItems(t *testing.T, nc net.Conn, br *bufio.Reader, id uint64, quiet time.Duration) (items int, opened bool) {
	t.Helper()
	for {
		nc.SetReadDeadline(time.Now().Add(quiet))
		f, err := wire.ReadFrame(br, 1<<20)
		if err != nil {
			ne, ok := err.(net.Error)
			require.True(t, ok && ne.Timeout(), "reading items: %v", err)
			nc.SetReadDeadline(time.Time{})
			return items, opened
		}
		if f.Kind() == wire.KindItem {
			d := wire.NewDecoder(f.Body())
			got, open, err := wire.ReadItem(d)
			d.Release()
			require.NoError(t, err)
			require.Equal(t, id, got)
			if open {
				opened = true
			} else {
				items++
			}
		}
		f.Release()
	}
}

// Credit frames that no runtime writes close that connection, with a
// reason in the log that says what was wrong; the server keeps serving
// its other clients.
func TestHostileCreditFrames(t *testing.T) {
	var log testutil.Buffer
	srv, _, _, feed := feedPair(t, remote.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))}, remote.Options{})
	calc := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, calc, remote.WithID(calcID))
	require.NoError(t, err)
	m := ifaceOf[testsvc.Calculator](t).ByName("Wait")
	wait := callFrameOf(t, 7, calcID, m.Hash, "", m.In, []any{time.Minute}, nil) // a plain call, in flight
	ctx := ctxT(t)
	attacks := map[string]struct {
		frames [][]byte
		reason string
	}{
		"zero credit":      {[][]byte{frameOf(wire.KindCredit, append(idBytes(1), 0x00))}, "credit frame: objrmi/wire: malformed value: credit of call 1 grants 0 items"},
		"compact id":       {[][]byte{frameOf(wire.KindCredit, []byte{0x01, 0x05})}, "credit frame: credit: objrmi/wire: call id has code 0x1, want fixed uint64"},
		"no count":         {[][]byte{frameOf(wire.KindCredit, idBytes(1))}, "credit frame: credit of call 1: EOF"},
		"trailing bytes":   {[][]byte{frameOf(wire.KindCredit, append(idBytes(1), 0x05, 0x05))}, "credit of call 1: 1 trailing bytes"},
		"negative credit":  {[][]byte{frameOf(wire.KindCredit, append(idBytes(1), 0xff))}, "credit of call 1 grants -1 items"},
		"not a stream":     {[][]byte{wait, creditFrame(7, 1)}, "credit frame for call 7, which did not ask for a stream"},
		"stream, no reply": {[][]byte{noReplyStream(t, 9)}, "call 9 asks for a stream and for no reply"},
		"item from client": {[][]byte{frameOf(wire.KindItem, append(idBytes(1), 0x90))}, "item frame for call 1, which this side never made"},
	}
	for name, a := range attacks {
		t.Run(name, func(t *testing.T) {
			nc, br := rawHandshake(t, srv.Endpoint())
			for _, f := range a.frames {
				_, err := nc.Write(f)
				require.NoError(t, err)
			}
			nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			for {
				f, err := wire.ReadFrame(br, 1<<20)
				if err != nil {
					break // the server hung up
				}
				f.Release()
			}
			if a.reason != "" {
				require.Eventually(t, func() bool { return bytes.Contains([]byte(log.String()), []byte(a.reason)) },
					10*time.Second, 5*time.Millisecond, "the log says why: %s", log.String())
			}
			stats, err := feed.Sent(ctx)
			require.NoError(t, err, "the legitimate client is untouched")
			assert.GreaterOrEqual(t, stats.Ended, int64(0))
		})
	}
}

func noReplyStream(t *testing.T, id uint64) []byte {
	m := ifaceOf[testsvc.Feed](t).ByName("Idle")
	b := wire.GetBuffer(wire.KindCall)
	defer b.Release()
	e := wire.NewEncoder(b)
	defer e.Release()
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{ID: id, Object: feedID, Method: m.Hash,
		Flags: wire.FlagStream | wire.FlagNoReply, Credit: 1}))
	require.NoError(t, e.EncodeArrayLen(0))
	return bytes.Clone(b.Bytes())
}

// Credit is clamped: a client granting absurd credit, twice (which
// would wrap a counter), gets at most transport.MaxCredit items ahead,
// and the stream goes on. Credit for a call that is over is dropped.
func TestAbsurdCreditIsClamped(t *testing.T) {
	srv, impl, _, _ := feedPair(t, remote.Options{}, remote.Options{})
	nc, br := rawHandshake(t, srv.Endpoint())
	_, err := nc.Write(streamCallFrame(t, 1, "Numbers", 1, int64(-1), 0))
	require.NoError(t, err)
	_, err = nc.Write(creditFrame(1, 1<<64-1))
	require.NoError(t, err)
	items, opened := readItems(t, nc, br, 1, time.Second)
	require.True(t, opened)
	// The first item may have gone on the initial credit of one before
	// the grant arrived.
	assert.GreaterOrEqual(t, items, transport.MaxCredit, "not wrapped to nothing")
	assert.LessOrEqual(t, items, transport.MaxCredit+1, "clamped")

	// The producer waits with no credit; the same grant again (which
	// would wrap an unclamped counter) brings exactly MaxCredit more.
	_, err = nc.Write(creditFrame(1, 1<<64-1))
	require.NoError(t, err)
	again, _ := readItems(t, nc, br, 1, time.Second)
	assert.Equal(t, transport.MaxCredit, again)

	_, err = nc.Write(append(creditFrame(1, 5), creditFrame(12345, 5)...))
	require.NoError(t, err)
	more, _ := readItems(t, nc, br, 1, 500*time.Millisecond)
	assert.Equal(t, 5, more, "the stream goes on, and credit for another call is dropped")

	_, err = nc.Write(frameOf(wire.KindCancel, idBytes(1)))
	require.NoError(t, err)
	e := ending(t, impl)
	assert.Equal(t, int64(items+again+more), e.Sent)
	assert.Equal(t, objerr.ErrCallerCanceled.Error(), e.Cause)
}

// fakeServer is a listener that speaks objrmi's handshake, answers
// probes, and answers every other call by running script.
type fakeServer struct {
	ln     net.Listener
	script func(nc net.Conn, h *wire.CallHeader)
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func newFakeServer(t *testing.T, script func(nc net.Conn, h *wire.CallHeader)) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fs := &fakeServer{ln: ln, script: script}
	fs.wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			fs.mu.Lock()
			fs.conns = append(fs.conns, nc)
			fs.mu.Unlock()
			fs.wg.Go(func() { fs.serve(nc) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		fs.mu.Lock()
		for _, nc := range fs.conns {
			nc.Close()
		}
		fs.mu.Unlock()
		fs.wg.Wait()
	})
	return fs
}

func (fs *fakeServer) serve(nc net.Conn) {
	br := bufio.NewReader(nc)
	var h wire.Hello
	if wire.ReadHello(br, &h) != nil {
		return
	}
	if wire.WriteHello(nc, &wire.Hello{Runtime: uuid.New(), Endpoint: fs.ln.Addr().String()}) != nil {
		return
	}
	for {
		f, err := wire.ReadFrame(br, 1<<20)
		if err != nil {
			return
		}
		if f.Kind() == wire.KindCall {
			d := wire.NewDecoder(f.Body())
			var ch wire.CallHeader
			if wire.ReadCall(d, &ch) == nil {
				if ch.Method == wire.ProbeMethod {
					nc.Write(probeReply(ch.ID))
				} else {
					fs.script(nc, &ch)
				}
			}
			d.Release()
		}
		f.Release()
	}
}

// probeReply accepts a probe: no marks.
func probeReply(id uint64) []byte {
	b := wire.GetBuffer(wire.KindReturn)
	defer b.Release()
	e := wire.NewEncoder(b)
	defer e.Release()
	wire.PutReturn(b, e, wire.ReturnHeader{ID: id})
	e.EncodeArrayLen(1)
	e.EncodeArrayLen(0)
	return bytes.Clone(b.Bytes())
}

func openedFrame(id uint64) []byte { return frameOf(wire.KindItem, append(idBytes(id), 0x90)) }

// itemFrame is one Item of call id, as a server would encode it.
func itemFrame(id uint64, n int64) []byte {
	b := wire.GetBuffer(wire.KindItem)
	defer b.Release()
	wire.PutItemHeader(b, id)
	e := wire.NewEncoder(b)
	defer e.Release()
	e.Encode(testsvc.Item{N: n})
	return bytes.Clone(b.Bytes())
}

// A server that sends item frames no runtime sends: the client closes
// that connection, and its stream and other calls on it fail with an
// error that says what was wrong; the client's runtime keeps working.
func TestHostileItemFrames(t *testing.T) {
	attacks := map[string]struct {
		frames func(id uint64) [][]byte
		reason string
	}{
		"malformed item": {func(id uint64) [][]byte {
			return [][]byte{openedFrame(id), frameOf(wire.KindItem, append(idBytes(id), 0x92, 1, 2))}
		}, "item frame: objrmi/wire: malformed value: item of call"},
		"truncated item": {func(id uint64) [][]byte {
			return [][]byte{openedFrame(id), frameOf(wire.KindItem, append(idBytes(id), 0x91, 0xdd, 0, 0, 0, 9))}
		}, "item of call 2: objrmi/wire: malformed value: collection of 9 values with 0 bytes left"},
		"item before opening": {func(id uint64) [][]byte {
			return [][]byte{itemFrame(id, 1)}
		}, "before its stream opened"},
		"opened twice": {func(id uint64) [][]byte {
			return [][]byte{openedFrame(id), openedFrame(id)}
		}, "opened twice"},
		"beyond credit": {func(id uint64) [][]byte {
			fs := [][]byte{openedFrame(id)}
			for i := range 3 {
				fs = append(fs, itemFrame(id, int64(i)))
			}
			return fs
		}, "beyond the credit granted: the callee ignores flow control"},
		"never asked": {func(id uint64) [][]byte {
			return [][]byte{openedFrame(id), itemFrame(id+1000, 0)}
		}, "which this side never made"},
		"empty body": {func(uint64) [][]byte {
			return [][]byte{frameOf(wire.KindItem, nil)}
		}, "item frame: item: EOF"},
	}
	for name, a := range attacks {
		t.Run(name, func(t *testing.T) {
			fs := newFakeServer(t, func(nc net.Conn, h *wire.CallHeader) {
				for _, f := range a.frames(h.ID) {
					nc.Write(f)
				}
			})
			var log testutil.Buffer
			cli := newRuntime(t, remote.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
			ctx := ctxT(t)
			feed, err := remote.Dial[testsvc.Feed](ctx, cli, fs.ln.Addr().String(), feedID)
			require.NoError(t, err)
			items, err := feed.Numbers(remote.WithStreamWindow(ctx, 2, 0), 10, 0)
			if err == nil {
				// The loop starts late, so that no credit is granted
				// before the server's frames are all in: a consumer
				// that kept up would grant the credit a third item
				// needs, and the server would then be within it.
				time.Sleep(200 * time.Millisecond)
				for _, err = range items {
					if err != nil {
						break
					}
				}
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, objerr.ErrConnection)
			assert.ErrorIs(t, err, objerr.ErrProtocol)
			assert.Contains(t, err.Error(), a.reason)
			assert.Contains(t, log.String(), a.reason)

			// The runtime keeps serving: a real server works.
			_, _, _, calc := pairWith(t, cli)
			sum, err := calc.Add(ctx, 1, 2)
			require.NoError(t, err)
			assert.Equal(t, int64(3), sum)
		})
	}
}

// An item frame for a call that did not ask for a stream breaks the
// protocol too.
func TestItemForAPlainCall(t *testing.T) {
	fs := newFakeServer(t, func(nc net.Conn, h *wire.CallHeader) { nc.Write(openedFrame(h.ID)) })
	cli := newRuntime(t, remote.Options{})
	feed, err := remote.Dial[testsvc.Feed](ctxT(t), cli, fs.ln.Addr().String(), feedID)
	require.NoError(t, err)
	_, err = feed.Sent(ctxT(t))
	require.ErrorIs(t, err, objerr.ErrProtocol)
	assert.Contains(t, err.Error(), "item frame for call 2, which did not ask for a stream")
}

// An item beyond the caller's limits (MaxCollectionLen) fails that
// stream, with CodeResultLimit; the connection lives on.
func TestItemOverTheCallersLimits(t *testing.T) {
	fs := newFakeServer(t, func(nc net.Conn, h *wire.CallHeader) {
		if h.Flags&wire.FlagStream == 0 {
			b := wire.GetBuffer(wire.KindReturn)
			e := wire.NewEncoder(b)
			wire.PutReturn(b, e, wire.ReturnHeader{ID: h.ID})
			e.Encode([]any{testsvc.FeedStats{Sent: 7}})
			e.Release()
			nc.Write(b.Bytes())
			b.Release()
			return
		}
		big := wire.GetBuffer(wire.KindItem)
		wire.PutItemHeader(big, h.ID)
		e := wire.NewEncoder(big)
		e.Encode(map[string]any{"N": 1, "Pad": []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}})
		e.Release()
		nc.Write(openedFrame(h.ID))
		nc.Write(itemFrame(h.ID, 0))
		nc.Write(big.Bytes())
		big.Release()
	})
	cli := newRuntime(t, remote.Options{MaxCollectionLen: 4})
	ctx := ctxT(t)
	feed, err := remote.Dial[testsvc.Feed](ctx, cli, fs.ln.Addr().String(), feedID)
	require.NoError(t, err)
	items, err := feed.Numbers(ctx, 10, 0)
	require.NoError(t, err)
	var got []int64
	for it, err := range items {
		if err != nil {
			var oe *objerr.Error
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, objerr.CodeResultLimit, oe.Code)
			assert.Contains(t, err.Error(), "MaxCollectionLen")
			break
		}
		got = append(got, it.N)
	}
	assert.Equal(t, []int64{0}, got)
	stats, err := feed.Sent(ctx)
	require.NoError(t, err, "the connection lives on")
	assert.Equal(t, int64(7), stats.Sent)
}

// pairWith exports a Calc on a new server and dials it from cli.
func pairWith(t *testing.T, cli *remote.Runtime) (*remote.Runtime, *testsvc.Calc, *remote.Runtime, testsvc.Calculator) {
	t.Helper()
	srv := newRuntime(t, remote.Options{Listen: "127.0.0.1:0"})
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)
	return srv, impl, cli, calc
}

// A hand-made client sees the protocol as it is: the opening, then
// items only as credit allows (none at all on a credit of zero), then
// the reply. A stream flag on a method that does not stream is refused.
func TestRawStreamCall(t *testing.T) {
	srv, _, _, _ := feedPair(t, remote.Options{}, remote.Options{})
	nc, br := rawHandshake(t, srv.Endpoint())

	_, err := nc.Write(streamCallFrame(t, 1, "Sent", 8))
	require.NoError(t, err)
	code, msg := readReply(t, nc, br, 1)
	assert.Equal(t, objerr.CodeUnsupported, code)
	assert.Contains(t, msg, "Feed.Sent does not stream its results, but the call asked for a stream")

	_, err = nc.Write(streamCallFrame(t, 2, "Numbers", 0, int64(3), 0))
	require.NoError(t, err)
	items, opened := readItems(t, nc, br, 2, 300*time.Millisecond)
	assert.True(t, opened)
	assert.Zero(t, items, "no credit, no item")
	_, err = nc.Write(creditFrame(2, 2))
	require.NoError(t, err)
	items, _ = readItems(t, nc, br, 2, 300*time.Millisecond)
	assert.Equal(t, 2, items)
	_, err = nc.Write(creditFrame(2, 5))
	require.NoError(t, err)
	code, _ = readReply(t, nc, br, 2) // skips the last item
	assert.Zero(t, code, "the stream ended with success")
}

package remote_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
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

// Hand-made batches, from a peer that does what no runtime would.

// batchCallOf encodes one call of a batch (its id is set by the batch).
func batchCallOf(t *testing.T, method string, flags wire.CallFlags, vals ...any) *wire.Buffer {
	t.Helper()
	m := ifaceOf[testsvc.Calculator](t).ByName(method)
	b := wire.GetBuffer(wire.KindCall)
	e := wire.NewEncoder(b)
	defer e.Release()
	require.NoError(t, wire.PutCall(b, e, &wire.CallHeader{Object: calcID, Method: m.Hash, Flags: flags}))
	require.NoError(t, codec.EncodeList(e, m.In, vals, nil))
	return b
}

// rawBatch builds a batch frame of calls, numbered from id.
func rawBatch(t *testing.T, id uint64, flags wire.BatchFlags, calls ...*wire.Buffer) []byte {
	t.Helper()
	b := wire.GetBuffer(wire.KindBatch)
	defer b.Release()
	e := wire.NewEncoder(b)
	defer e.Release()
	require.NoError(t, wire.PutBatch(b, e, id, flags, calls))
	for _, c := range calls {
		c.Release()
	}
	return bytes.Clone(b.Bytes())
}

type rawPart struct {
	code objerr.Code
	msg  string
	body []byte // the results, for a success
}

// readBatchReply reads frames until the reply to batch id, and returns
// the batch's code and message, and its parts.
func readBatchReply(t *testing.T, nc net.Conn, br *bufio.Reader, id uint64) (objerr.Code, string, []rawPart) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer nc.SetReadDeadline(time.Time{})
	for {
		f, err := wire.ReadFrame(br, 1<<24)
		require.NoError(t, err, "waiting for the reply to batch %d", id)
		if f.Kind() != wire.KindBatchReturn {
			f.Release()
			continue
		}
		var r wire.BatchReturn
		require.NoError(t, wire.ReadBatchReturn(f.Body(), &r))
		require.Equal(t, id, r.ID)
		var parts []rawPart
		for _, p := range r.Parts {
			if p == nil {
				parts = append(parts, rawPart{})
				continue
			}
			d := wire.NewDecoder(p)
			var h wire.ReturnHeader
			require.NoError(t, wire.ReadReturn(d, &h))
			part := rawPart{code: h.Code}
			if h.Code != 0 {
				var eb wire.ErrorBody
				require.NoError(t, wire.ReadError(d, &eb))
				part.msg = eb.Message
			} else {
				part.body = p[len(p)-d.Remaining():]
			}
			d.Release()
			parts = append(parts, part)
		}
		return r.Code, r.Error.Message, parts
	}
}

// closed waits for the server to close nc, reading past anything else.
func closed(t *testing.T, nc net.Conn, br *bufio.Reader) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server kept the connection open")
}

// hostileBatchServer is pair with a log to read and options.
func hostileBatchServer(t *testing.T, opts remote.Options) (*remote.Runtime, *testsvc.Calc, testsvc.Calculator, *testutil.Buffer) {
	var log testutil.Buffer
	opts.Listen = "127.0.0.1:0"
	opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
	srv := newRuntime(t, opts)
	impl := testsvc.NewCalc()
	_, err := remote.Export[testsvc.Calculator](srv, impl, remote.WithID(calcID))
	require.NoError(t, err)
	cli := newRuntime(t, remote.Options{})
	calc, err := remote.Dial[testsvc.Calculator](ctxT(t), cli, srv.Endpoint(), calcID)
	require.NoError(t, err)
	return srv, impl, calc, &log
}

// Malformed batch frames close that connection, with the reason logged;
// other connections, and the runtime, go on.
func TestHostileBatchFramesCloseOnlyThatConnection(t *testing.T) {
	srv, _, calc, log := hostileBatchServer(t, remote.Options{})
	add := func(id uint64) []byte {
		b := batchCallOf(t, "Add", 0, int64(1), int64(2))
		defer b.Release()
		b.SetID(id)
		return bytes.Clone(b.B[5:])
	}
	for name, tc := range map[string]struct {
		frame []byte
		why   string // in the log
	}{
		"a part that is not a bin": {manualBatch(10, 0, 0xa4, 'c', 'a', 'l', 'l'), "want bin or nil"},
		"call ids out of turn":     {manualBatch(10, 0, binOf(add(12))...), "call 0 must carry id 11"},
		"unknown batch flags":      {manualBatch(10, 1<<7, binOf(add(11))...), "unknown flags"},
		"a truncated part":         {manualBatch(10, 0, binOf(add(11))[:10]...), "bytes with"},
		"a bad call header":        {manualBatch(10, 0, binOf(add(11)[:9+1])...), "call header"},
		"count beyond the bytes":   {manualBatch(10, 0), "parts with"},
	} {
		t.Run(name, func(t *testing.T) {
			nc, br := rawHandshake(t, srv.Endpoint())
			_, err := nc.Write(tc.frame)
			require.NoError(t, err)
			closed(t, nc, br)
			assert.Contains(t, log.String(), tc.why)
			sum, err := calc.Add(ctxT(t), 2, 3)
			require.NoError(t, err, "another client is served")
			assert.Equal(t, int64(5), sum)
		})
	}
	assert.Contains(t, log.String(), "protocol violation")
}

// manualBatch builds a batch frame of one part, its bytes as given (no
// part at all announces one anyway).
func manualBatch(id uint64, flags uint64, part ...byte) []byte {
	b := wire.GetBuffer(wire.KindBatch)
	e := wire.NewEncoder(b)
	b.PutID(id)
	e.EncodeUint(flags)
	e.EncodeArrayLen(1)
	e.Release()
	b.B = append(b.B, part...)
	return bytes.Clone(b.Bytes())
}

// binOf is p as a msgpack bin8.
func binOf(p []byte) []byte { return append([]byte{0xc4, byte(len(p))}, p...) }

// A batch that breaks a limit (more than wire.MaxBatch calls, or an
// argument beyond MaxCollectionLen) is refused whole, with CodeLimit,
// and its connection closed; none of its calls ran.
func TestHostileBatchOverLimitsIsRefused(t *testing.T) {
	srv, _, calc, log := hostileBatchServer(t, remote.Options{MaxCollectionLen: 16})
	many := func() []byte {
		var calls []*wire.Buffer
		for range wire.MaxBatch {
			calls = append(calls, batchCallOf(t, "Add", 0, int64(1), int64(2)))
		}
		f := rawBatch(t, 10, 0, calls...)
		// One more call: bump the array length (array16 after the id
		// and the flags) and append a copy of the last call.
		i := 4 + 1 + 9 + 1
		require.Equal(t, byte(0xdc), f[i])
		f[i+2]++
		last := batchCallOf(t, "Add", 0, int64(1), int64(2))
		last.SetID(10 + wire.MaxBatch + 1)
		body := last.B[5:]
		f = append(f, 0xc4, byte(len(body)))
		f = append(f, body...)
		last.Release()
		return f
	}()
	big := rawBatch(t, 10, 0, batchCallOf(t, "Add", 0, int64(1), int64(2)), batchCallOf(t, "Echo", 0, make([]byte, 10)))
	bigList := rawBatch(t, 10, 0, batchCallOf(t, "Holder", 0, testsvc.Holder{Extra: make([]testsvc.Counter, 20)}))
	for name, tc := range map[string]struct {
		frame []byte
		msg   string
	}{
		"too many calls":   {fixLength(many), "MaxBatch"},
		"a list too long":  {bigList, "MaxCollectionLen"},
		"within the limit": {big, ""},
	} {
		t.Run(name, func(t *testing.T) {
			nc, br := rawHandshake(t, srv.Endpoint())
			_, err := nc.Write(tc.frame)
			require.NoError(t, err)
			code, msg, parts := readBatchReply(t, nc, br, 10)
			if tc.msg == "" {
				assert.Zero(t, code, msg)
				require.Len(t, parts, 2)
				assert.Zero(t, parts[0].code, parts[0].msg)
				return
			}
			assert.Equal(t, objerr.CodeLimit, code)
			assert.Contains(t, msg, tc.msg)
			assert.Contains(t, msg, "none of its calls ran")
			assert.Empty(t, parts)
			closed(t, nc, br)
			_, err = calc.Add(ctxT(t), 2, 3)
			require.NoError(t, err, "another client is served")
		})
	}
	assert.Contains(t, log.String(), "limit exceeded")
}

// fixLength rewrites a frame's length prefix after it was extended.
func fixLength(f []byte) []byte {
	n := len(f) - 4
	f[0], f[1], f[2], f[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return f
}

// The calls of a batch are registered when it arrives: a cancel for one
// not yet run keeps it from running, a cancel for the one running ends
// its context; a stream is refused in a batch; a oneway call's place in
// the reply is empty; and a call id already in flight closes the
// connection.
func TestHostileBatchCancelsStreamsAndDuplicates(t *testing.T) {
	srv, impl, _, _ := hostileBatchServer(t, remote.Options{OrphanGrace: 50 * time.Millisecond,
		LeaseCheckInterval: 20 * time.Millisecond})
	nc, br := rawHandshake(t, srv.Endpoint())
	frame := rawBatch(t, 10, 0,
		batchCallOf(t, "Wait", 0, time.Hour),                         // 11
		batchCallOf(t, "Add", 0, int64(1), int64(2)),                 // 12
		batchCallOf(t, "Add", wire.FlagStream, int64(1), int64(2)),   // 13
		batchCallOf(t, "Panic", wire.FlagNoReply, "one-way failure"), // 14
		batchCallOf(t, "Add", 0, int64(3), int64(4)),                 // 15
	)
	_, err := nc.Write(frame)
	require.NoError(t, err)
	<-impl.Started
	for _, id := range []uint64{12, 11} {
		b := wire.GetBuffer(wire.KindCancel)
		wire.PutCancel(b, id, wire.CancelCaller)
		_, err = nc.Write(b.Bytes())
		b.Release()
		require.NoError(t, err)
	}
	code, msg, parts := readBatchReply(t, nc, br, 10)
	require.Zero(t, code, msg)
	require.Len(t, parts, 5)
	assert.Zero(t, parts[0].code, "Wait returns what it saw: %s", parts[0].msg)
	assert.True(t, (<-impl.Ended).Canceled)
	assert.Equal(t, objerr.CodeCanceled, parts[1].code)
	assert.Contains(t, parts[1].msg, "not run")
	assert.Equal(t, objerr.CodeUnsupported, parts[2].code)
	assert.Contains(t, parts[2].msg, "stream")
	assert.Equal(t, rawPart{}, parts[3], "a oneway call has no reply")
	assert.Zero(t, parts[4].code, parts[4].msg)
	require.Eventually(t, func() bool { return srv.Inspect().OneWayFailed == 1 }, 5*time.Second, 10*time.Millisecond)

	// A batch that reuses the id of a call in flight.
	_, err = nc.Write(callFrameOf(t, 21, calcID, ifaceOf[testsvc.Calculator](t).ByName("Wait").Hash, "",
		ifaceOf[testsvc.Calculator](t).ByName("Wait").In, []any{time.Hour}, nil))
	require.NoError(t, err)
	<-impl.Started
	_, err = nc.Write(rawBatch(t, 20, 0, batchCallOf(t, "Add", 0, int64(1), int64(2))))
	require.NoError(t, err)
	closed(t, nc, br)
	<-impl.Ended
}

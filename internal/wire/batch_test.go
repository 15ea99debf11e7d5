package wire

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/objerr"
)

// callBuf builds a call frame with arguments args (one msgpack array).
func callBuf(t testing.TB, method uint64, args ...int64) *Buffer {
	b := GetBuffer(KindCall)
	e := NewEncoder(b)
	defer e.Release()
	require.NoError(t, PutCall(b, e, &CallHeader{Object: 100, Method: method}))
	require.NoError(t, e.EncodeArrayLen(len(args)))
	for _, a := range args {
		require.NoError(t, e.EncodeInt(a))
	}
	return b
}

func batchFrame(t testing.TB, id uint64, flags BatchFlags, calls ...*Buffer) []byte {
	b := GetBuffer(KindBatch)
	defer b.Release()
	e := NewEncoder(b)
	defer e.Release()
	require.NoError(t, PutBatch(b, e, id, flags, calls))
	return bytes.Clone(b.Bytes())
}

// A batch's calls come back as the bodies of call frames, numbered from
// the batch's id, each readable as any call.
func TestBatchRoundTrip(t *testing.T) {
	c1, c2 := callBuf(t, 42, 1, 2), callBuf(t, 43, 3)
	defer c1.Release()
	defer c2.Release()
	frame := batchFrame(t, 10, BatchStopOnError, c1, c2)
	var h Batch
	require.NoError(t, ReadBatch(frame[prefixLen+1:], &h))
	assert.Equal(t, uint64(10), h.ID)
	assert.Equal(t, BatchStopOnError, h.Flags)
	require.Len(t, h.Calls, 2)
	for i, want := range []struct {
		id, method uint64
		args       int
	}{{11, 42, 2}, {12, 43, 1}} {
		d := NewDecoder(h.Calls[i])
		var ch CallHeader
		require.NoError(t, ReadCall(d, &ch))
		assert.Equal(t, want.id, ch.ID)
		assert.Equal(t, want.method, ch.Method)
		require.NoError(t, d.Validate(DefaultLimits))
		n, err := d.DecodeArrayLen()
		require.NoError(t, err)
		assert.Equal(t, want.args, n)
		d.Release()
	}
}

func TestBatchReturnRoundTrip(t *testing.T) {
	ok := GetBuffer(KindReturn)
	e := NewEncoder(ok)
	require.NoError(t, PutReturn(ok, e, ReturnHeader{ID: 11}))
	require.NoError(t, e.EncodeArrayLen(1))
	require.NoError(t, e.EncodeInt(3))
	e.Release()
	failed := ErrorReply(13, objerr.CodeApplication, &ErrorBody{Message: "no"})

	b := GetBuffer(KindBatchReturn)
	e = NewEncoder(b)
	require.NoError(t, PutBatchReturn(b, e, 10, 3))
	require.NoError(t, PutPart(b, e, ok.B[prefixLen+1:]))
	require.NoError(t, PutPart(b, e, nil)) // a one-way call
	require.NoError(t, PutPart(b, e, failed.B[prefixLen+1:]))
	e.Release()
	var r BatchReturn
	require.NoError(t, ReadBatchReturn(b.Bytes()[prefixLen+1:], &r))
	assert.Equal(t, uint64(10), r.ID)
	assert.Zero(t, r.Code)
	require.Len(t, r.Parts, 3)
	assert.Equal(t, ok.B[prefixLen+1:], r.Parts[0])
	assert.Nil(t, r.Parts[1])
	assert.Equal(t, failed.B[prefixLen+1:], r.Parts[2])
	assert.Equal(t, prefixLen+1+idLen+1+1+PartSize(len(r.Parts[0]))+1+PartSize(len(r.Parts[2])), len(b.B),
		"PartSize counts the bin headers")

	refused := BatchError(10, objerr.CodeOverloaded, &ErrorBody{Message: "busy"})
	require.NoError(t, ReadBatchReturn(refused.Bytes()[prefixLen+1:], &r))
	assert.Equal(t, objerr.CodeOverloaded, r.Code)
	assert.Equal(t, "busy", r.Error.Message)
	assert.Nil(t, r.Parts)
}

// Each way a batch frame can be wrong is refused with a precise error:
// ErrLimit for too many calls, ErrMalformed for the rest.
func TestReadBatchRefusesBadFrames(t *testing.T) {
	c := callBuf(t, 42, 1)
	defer c.Release()
	good := batchFrame(t, 10, 0, c)[prefixLen+1:]
	header := func(id uint64, flags uint64, n int) []byte {
		b := GetBuffer(KindBatch)
		e := NewEncoder(b)
		b.PutID(id)
		e.EncodeUint(flags)
		e.EncodeArrayLen(n)
		e.Release()
		return bytes.Clone(b.B[prefixLen+1:])
	}
	many := header(10, 0, MaxBatch+1)
	for range MaxBatch + 1 {
		many = append(many, 0xc0)
	}
	for name, tc := range map[string]struct {
		body []byte
		want error
		msg  string
	}{
		"empty":               {nil, ErrMalformed, "batch id"},
		"id not fixed width":  {[]byte{0x0a, 0, 0x90}, ErrMalformed, "batch id"},
		"unknown flags":       {header(10, 1<<9, 0), ErrMalformed, "unknown flags"},
		"count past the end":  {header(10, 0, 5), ErrMalformed, "5 parts"},
		"too many calls":      {many, ErrLimit, "MaxBatch"},
		"part not a bin":      {append(header(10, 0, 1), 0xa1, 'x'), ErrMalformed, "want bin"},
		"part past the end":   {append(header(10, 0, 1), 0xc4, 200, 1, 2), ErrMalformed, "200 bytes"},
		"empty part":          {append(header(10, 0, 1), 0xc4, 0), ErrMalformed, "empty part"},
		"call id out of turn": {append(header(11, 0, 1), good[idLen+2:]...), ErrMalformed, "must carry id 12"},
		"trailing bytes":      {append(bytes.Clone(good), 0x01), ErrMalformed, "trailing"},
	} {
		t.Run(name, func(t *testing.T) {
			var h Batch
			err := ReadBatch(tc.body, &h)
			require.ErrorIs(t, err, tc.want)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	var h Batch
	require.NoError(t, ReadBatch(good, &h))
}

func TestReadBatchReturnRefusesBadFrames(t *testing.T) {
	for name, body := range map[string][]byte{
		"empty":           nil,
		"no code":         {0xcf, 0, 0, 0, 0, 0, 0, 0, 1},
		"bad error body":  {0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 13, 0x91, 0xa0},
		"parts past end":  {0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x93, 0xc0},
		"part not bin":    {0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x91, 0x01},
		"trailing":        {0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x90, 0x00},
		"too many (1025)": append([]byte{0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xdc, 0x04, 0x01}, bytes.Repeat([]byte{0xc0}, 1025)...),
	} {
		t.Run(name, func(t *testing.T) {
			var r BatchReturn
			assert.Error(t, ReadBatchReturn(body, &r))
		})
	}
}

// FuzzReadBatch feeds both batch decoders, and the call and reply
// decoders over every part they accept, whatever bytes come.
func FuzzReadBatch(f *testing.F) {
	c1, c2 := callBuf(f, 42, 1, 2), callBuf(f, 43)
	f.Add(batchFrame(f, 10, BatchStopOnError, c1, c2)[prefixLen:])
	c1.Release()
	c2.Release()
	ret := GetBuffer(KindBatchReturn)
	e := NewEncoder(ret)
	PutBatchReturn(ret, e, 10, 2)
	reply := ErrorReply(11, objerr.CodeApplication, &ErrorBody{Message: "x"})
	PutPart(ret, e, reply.B[prefixLen+1:])
	PutPart(ret, e, nil)
	e.Release()
	f.Add(bytes.Clone(ret.Bytes()[prefixLen:]))
	f.Add(bytes.Clone(BatchError(3, objerr.CodeLimit, &ErrorBody{Message: "too many"}).Bytes()[prefixLen:]))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		switch Kind(data[0]) {
		case KindBatch:
			var h Batch
			if ReadBatch(data[1:], &h) != nil {
				return
			}
			for _, p := range h.Calls {
				d := NewDecoder(p)
				var ch CallHeader
				if ReadCall(d, &ch) == nil {
					_ = d.Validate(DefaultLimits)
				}
				d.Release()
			}
		default:
			var r BatchReturn
			if ReadBatchReturn(data[1:], &r) != nil {
				return
			}
			for _, p := range r.Parts {
				if p == nil {
					continue
				}
				d := NewDecoder(p)
				var rh ReturnHeader
				if ReadReturn(d, &rh) == nil {
					_ = d.Validate(DefaultLimits)
				}
				d.Release()
			}
		}
		// Whatever was decoded, the bytes still read as frames.
		_, _ = ReadFrame(bufio.NewReader(bytes.NewReader(data)), 1<<16)
	})
}

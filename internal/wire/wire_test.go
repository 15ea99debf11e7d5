package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"runtime"
	"runtime/debug"
	"testing"
	"testing/iotest"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

func TestCallRoundTrip(t *testing.T) {
	b := GetBuffer(KindCall)
	e := NewEncoder(b)
	require.NoError(t, PutCall(b, e, &CallHeader{ID: 1, Object: 1024, Method: 0, Timeout: 5e9, Name: "Add"}))
	e.Release()
	b.SetID(77) // a connection stamps the id after encoding

	f, err := ReadFrame(bufio.NewReader(bytes.NewReader(b.Bytes())), 1<<20)
	require.NoError(t, err)
	assert.Equal(t, KindCall, f.Kind())
	d := NewDecoder(f.Body())
	var h CallHeader
	require.NoError(t, ReadCall(d, &h))
	assert.Equal(t, CallHeader{ID: 77, Object: 1024, Timeout: 5e9, Name: "Add"}, h)
	d.Release()
	f.Release()
	b.Release()
}

func TestRefRoundTrip(t *testing.T) {
	base := Ref{Runtime: uuid.New(), Endpoint: "10.0.0.1:1099", Object: 9, Iface: "Counter"}
	for _, c := range []struct {
		pin, key uint64
		tls      bool
		fields   byte
	}{{0, 0, false, 4}, {7, 0, false, 5}, {0, 0, true, 6}, {7, 0, true, 6}, {0, 1 << 63, false, 7}, {7, 244837814107902, true, 7}} {
		in := base
		in.Pin, in.Key, in.TLS = c.pin, c.key, c.tls
		b := GetBuffer(KindReturn)
		e := NewEncoder(b)
		require.NoError(t, PutRef(e, &in))
		e.Release()
		assert.Equal(t, 0x90|c.fields, b.B[5], "array of %d for %+v", c.fields, c)
		d := NewDecoder(b.B[5:])
		out := Ref{Pin: 99, Key: 99, TLS: true}
		require.NoError(t, ReadRef(d, &out))
		assert.Equal(t, in, out)
		assert.NotContains(t, in.String(), "244837814107902", "String leaves the key out")
	}
}

// A frame longer than the limit is refused from its length prefix alone,
// before anything is allocated for it.
func TestFrameLimit(t *testing.T) {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], 1<<31)
	_, err := ReadFrame(bufio.NewReader(bytes.NewReader(p[:])), 1<<20)
	assert.ErrorIs(t, err, ErrFrameTooLarge)

	binary.BigEndian.PutUint32(p[:], 0)
	_, err = ReadFrame(bufio.NewReader(bytes.NewReader(p[:])), 1<<20)
	assert.Error(t, err, "an empty frame is a protocol error")

	binary.BigEndian.PutUint32(p[:], 100)
	_, err = ReadFrame(bufio.NewReader(bytes.NewReader(append(p[:], 1, 2, 3))), 1<<20)
	assert.Error(t, err, "a truncated frame")
}

func TestHelloRoundTripAndRefusals(t *testing.T) {
	var buf bytes.Buffer
	in := Hello{Runtime: uuid.New(), Endpoint: "127.0.0.1:1"}
	require.NoError(t, WriteHello(&buf, &in))
	var out Hello
	require.NoError(t, ReadHello(bufio.NewReader(&buf), &out))
	assert.Equal(t, in, out)

	err := ReadHello(bufio.NewReader(bytes.NewReader([]byte("GET / HTTP/1.1\r\n"))), &out)
	assert.ErrorIs(t, err, ErrNotObjrmi)

	err = ReadHello(bufio.NewReader(bytes.NewReader([]byte("ORMI\x09\x00\x00\x00\x01\x90"))), &out)
	assert.ErrorIs(t, err, ErrVersion)
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader and the header
// decoders, as a hostile peer would: they may fail, never panic.
func FuzzReadFrame(f *testing.F) {
	b := GetBuffer(KindCall)
	e := NewEncoder(b)
	PutCall(b, e, &CallHeader{ID: 1, Object: 2, Method: 3, Timeout: 4})
	f.Add(append([]byte(nil), b.Bytes()...))
	f.Add([]byte{0, 0, 0, 1, byte(KindPing)})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		for {
			fr, err := ReadFrame(r, 1<<16)
			if err != nil {
				return
			}
			d := NewDecoder(fr.Body())
			var h CallHeader
			_ = ReadCall(d, &h)
			d.Release()
			d = NewDecoder(fr.Body())
			var rh ReturnHeader
			if ReadReturn(d, &rh) == nil {
				var eb ErrorBody
				_ = ReadError(d, &eb)
			}
			var ref Ref
			_ = ReadRef(d, &ref)
			d.Release()
			fr.Release()
		}
	})
}

// FuzzReadHello: the handshake is the first thing a stranger sends.
func FuzzReadHello(f *testing.F) {
	var buf bytes.Buffer
	WriteHello(&buf, &Hello{Runtime: uuid.New(), Endpoint: "x:1"})
	f.Add(buf.Bytes())
	f.Add([]byte("ORMI\x03\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var h Hello
		_ = ReadHello(bufio.NewReader(bytes.NewReader(data)), &h)
	})
}

func TestValidate(t *testing.T) {
	deep := bytes.Repeat([]byte{0x91}, 100)
	deep = append(deep, 0x01)
	small := Limits{MaxDepth: 64, MaxCollectionLen: 3}
	cases := map[string]struct {
		p    []byte
		want error // nil: valid
	}{
		"list of ints":         {[]byte{0x92, 0x01, 0xcd, 0x01, 0x00}, nil},
		"map and string":       {[]byte{0x91, 0x81, 0xa1, 'k', 0xc0}, nil},
		"ext":                  {[]byte{0xd6, 0xff, 0, 0, 0, 0}, nil},
		"map at the limit":     {[]byte{0x83, 1, 1, 2, 2, 3, 3}, nil},
		"huge array, no data":  {[]byte{0x91, 0xdd, 0xff, 0xff, 0xff, 0xff}, ErrMalformed},
		"huge map, no data":    {[]byte{0xdf, 0x7f, 0xff, 0xff, 0xff}, ErrMalformed},
		"string past the end":  {[]byte{0xdb, 0, 0, 0, 9, 'a'}, ErrMalformed},
		"reserved code":        {[]byte{0xc1}, ErrMalformed},
		"trailing bytes":       {[]byte{0x90, 0x01}, ErrMalformed},
		"truncated collection": {[]byte{0x93, 0x01}, ErrMalformed},
		"empty":                {nil, ErrMalformed},
		"too deep":             {deep, ErrLimit},
		"too long":             {[]byte{0x94, 1, 2, 3, 4}, ErrLimit},
		"map too long":         {[]byte{0x84, 1, 1, 2, 2, 3, 3, 4, 4}, ErrLimit},
	}
	for name, c := range cases {
		d := NewDecoder(c.p)
		err := d.Validate(small)
		d.Release()
		if c.want == nil {
			assert.NoError(t, err, name)
		} else {
			assert.ErrorIs(t, err, c.want, name)
		}
	}
}

// FuzzValidate: whatever Validate accepts, msgpack decodes (or refuses,
// as with an unknown ext type) without panicking or running away.
func FuzzValidate(f *testing.F) {
	f.Add([]byte{0x92, 0x01, 0xcd, 0x01, 0x00})
	f.Add([]byte{0x91, 0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		d := NewDecoder(p)
		defer d.Release()
		if d.Validate(DefaultLimits) != nil {
			return
		}
		_, _ = d.DecodeInterface()
	})
}

// A header that announces a huge string must be refused before msgpack
// allocates it: found by FuzzReadHello, where 30 bytes cost 3.3 GB.
func TestHeadersRefuseLengthsPastTheFrame(t *testing.T) {
	huge := []byte{0xdb, 0xc5, 0x30, 0xdc, 0x00}                     // str32 of 3.3 GB
	hello := append([]byte("ORMI\x03\x00\x00\x00\x19\x97"), huge...) // a 7-field array
	hello = append(hello, bytes.Repeat([]byte{'0'}, 25-1-len(huge))...)
	call := append([]byte{0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0x00, 0x00}, huge...) // id, object, dynamic, no timeout, name
	cases := map[string]func() error{
		"hello": func() error {
			var h Hello
			return ReadHello(bufio.NewReader(bytes.NewReader(hello)), &h)
		},
		"call": func() error {
			d := NewDecoder(call)
			defer d.Release()
			var h CallHeader
			return ReadCall(d, &h)
		},
	}
	for name, read := range cases {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := read()
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrMalformed)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated")
		})
	}
}

// A frame announced at 16 MiB whose bytes never come costs what arrived,
// rounded up to 64 KiB, not what was announced; one that does arrive,
// in pieces, is read whole.
func TestFrameMemoryFollowsTheBytesSent(t *testing.T) {
	const n = 16 << 20
	head := append(binary.BigEndian.AppendUint32(nil, n), byte(KindCall), 1, 2, 3)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadFrame(bufio.NewReader(bytes.NewReader(head)), n)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated")

	body := bytes.Repeat([]byte{7}, n)
	body[0] = byte(KindCall)
	whole := append(head[:4:4], body...)
	f, err := ReadFrame(bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(whole)), 4096), n)
	require.NoError(t, err)
	assert.Equal(t, body, f.B)
	f.Release()
}

// CopyBytes decodes what msgpack's own DecodeBytes would: nil stays nil,
// empty stays empty, and the copy does not alias the frame.
func TestCopyBytes(t *testing.T) {
	for _, p := range [][]byte{nil, {}, []byte("payload"), bytes.Repeat([]byte{7}, 70000)} {
		b := GetBuffer(KindCall)
		e := NewEncoder(b)
		require.NoError(t, e.EncodeBytes(p))
		require.NoError(t, e.EncodeString("after"))
		e.Release()
		frame := b.Bytes()[prefixLen+1:]

		want, err := msgpack.NewDecoder(bytes.NewReader(frame)).DecodeBytes()
		require.NoError(t, err)
		d := NewDecoder(frame)
		got, err := d.CopyBytes()
		require.NoError(t, err)
		assert.Equal(t, want == nil, got == nil)
		assert.Equal(t, want, got)
		next, err := d.DecodeString()
		require.NoError(t, err)
		assert.Equal(t, "after", next, "the decoder continues after the bytes")
		if len(got) > 0 {
			frame[len(frame)-len("after")-2] ^= 0xff // the last payload byte
			assert.Equal(t, p, got, "the result does not alias the frame")
		}
		d.Release()
	}
	d := NewDecoder([]byte{0xc4, 10, 1, 2}) // bin8 of 10 bytes, 2 sent
	defer d.Release()
	_, err := d.CopyBytes()
	assert.ErrorIs(t, err, ErrMalformed)
}

// A large frame is read into pooled chunks and then into pooled bytes of
// its size class, so reading one again allocates a fraction of it:
// growing a buffer as its bytes came in allocated about three times the
// frame, on every frame.
func TestLargeFrameReusesPooledBytes(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled items at random")
	}
	const n = 1<<20 + 100
	body := bytes.Repeat([]byte{9}, n)
	body[0] = byte(KindReturn)
	whole := append(binary.BigEndian.AppendUint32(nil, n), body...)
	read := func() {
		f, err := ReadFrame(bufio.NewReaderSize(bytes.NewReader(whole), 4096), n)
		require.NoError(t, err)
		require.Equal(t, body, f.B)
		f.Release()
	}
	// A collection empties sync.Pools: none runs during the test.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	read() // fills the pools
	warmLarge(n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	read()
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(n/4), "bytes allocated for a frame of %d", n)
}

// A large buffer's bytes go back to a pool when it is released, and the
// next large frame takes them: encoding a 1 MiB payload again and again
// allocates a fraction of it per frame (before pooling, each frame
// allocated all of it).
func TestLargeBuffersAreReused(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled items at random")
	}
	p := bytes.Repeat([]byte{3}, 1<<20)
	encode := func() {
		b := GetBuffer(KindReturn)
		e := NewEncoder(b)
		require.NoError(t, e.EncodeBytes(p))
		e.Release()
		require.Equal(t, len(p)+prefixLen+1+5, len(b.Bytes()))
		b.Release()
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection empties sync.Pools
	encode()
	warmLarge(len(p) + 16)
	const runs = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		encode()
	}
	runtime.ReadMemStats(&after)
	assert.Less(t, (after.TotalAlloc-before.TotalAlloc)/runs, uint64(len(p)/2), "bytes allocated per frame")
}

// warmLarge puts several slices of n's class in its pool: a sync.Pool
// keeps one item per P where only that P finds it, the others where any
// P does, so the test does not depend on which P it runs on.
func warmLarge(n int) {
	var ps [][]byte
	for range 4 {
		ps = append(ps, getLarge(n))
	}
	for _, p := range ps {
		putLarge(p)
	}
}

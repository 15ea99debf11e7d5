package wire

import (
	"bytes"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// Encoder is a pooled msgpack encoder writing into a Buffer.
type Encoder struct {
	*msgpack.Encoder
}

var encPool = sync.Pool{New: func() any {
	return &Encoder{msgpack.NewEncoder(nil)}
}}

// NewEncoder returns a pooled encoder that appends to b.
func NewEncoder(b *Buffer) *Encoder {
	e := encPool.Get().(*Encoder)
	e.Reset(b)
	// Compact integers keep small numbers small on the wire.
	e.UseCompactInts(true)
	return e
}

// Release returns e to the pool.
func (e *Encoder) Release() {
	e.Reset(nil)
	encPool.Put(e)
}

// Decoder is a pooled msgpack decoder reading a byte slice.
type Decoder struct {
	*msgpack.Decoder
	p []byte
	r bytes.Reader
}

var decPool = sync.Pool{New: func() any {
	return &Decoder{Decoder: msgpack.NewDecoder(nil)}
}}

// NewDecoder returns a pooled decoder over p. bytes.Reader is an
// io.ByteScanner, so msgpack reads it directly without another buffer.
func NewDecoder(p []byte) *Decoder {
	d := decPool.Get().(*Decoder)
	d.p = p
	d.r.Reset(p)
	d.Reset(&d.r)
	return d
}

// Remaining reports how many bytes are left to decode. Decoders of
// collections use it to refuse lengths that cannot possibly follow.
func (d *Decoder) Remaining() int { return d.r.Len() }

// Release returns d to the pool.
func (d *Decoder) Release() {
	d.p = nil
	d.r.Reset(nil)
	d.Reset(&d.r)
	decPool.Put(d)
}

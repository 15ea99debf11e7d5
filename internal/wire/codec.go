package wire

import (
	"bytes"
	"fmt"
	"io"
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

// BoundedString decodes a string whose announced length must fit in the
// bytes left. msgpack itself allocates whatever length a peer announces,
// so a few hostile header bytes could otherwise demand gigabytes.
func (d *Decoder) BoundedString() (string, error) {
	if err := d.checkLen(); err != nil {
		return "", err
	}
	return d.DecodeString()
}

// BoundedBytes is BoundedString for byte strings.
func (d *Decoder) BoundedBytes() ([]byte, error) {
	if err := d.checkLen(); err != nil {
		return nil, err
	}
	return d.DecodeBytes()
}

// CopyBytes decodes a byte string (or nil) into a new slice of exactly
// its length. msgpack zeroes a new slice and then copies into it; one
// copy straight from the frame is half the memory traffic, which shows
// on large payloads.
func (d *Decoder) CopyBytes() ([]byte, error) {
	if err := d.checkLen(); err != nil {
		return nil, err
	}
	n, err := d.DecodeBytesLen()
	if err != nil || n < 0 {
		return nil, err
	}
	at := len(d.p) - d.r.Len()
	if n > d.r.Len() {
		return nil, fmt.Errorf("%w: %d bytes announced, %d left", ErrMalformed, n, d.r.Len())
	}
	if _, err := d.r.Seek(int64(n), io.SeekCurrent); err != nil {
		return nil, err
	}
	// make then copy is compiled into one allocation that is not zeroed.
	p := make([]byte, n)
	copy(p, d.p[at:at+n])
	return p, nil
}

func (d *Decoder) checkLen() error {
	rest := d.p[len(d.p)-d.r.Len():]
	if len(rest) == 0 {
		return nil // msgpack reports the EOF itself
	}
	n, skip, err := head(rest)
	if err != nil {
		return err
	}
	if n < 0 && -n-1 > len(rest)-skip {
		return fmt.Errorf("%w: %d bytes announced, %d left", ErrMalformed, -n-1, len(rest)-skip)
	}
	return nil
}

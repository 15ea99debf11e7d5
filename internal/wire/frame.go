package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Kind is the type of a frame.
type Kind byte

const (
	KindCall   Kind = 1 // a method call: CallHeader, then the arguments
	KindReturn Kind = 2 // a reply: ReturnHeader, then results or an error
	KindCancel Kind = 3 // the caller gave up: call id
	KindPing   Kind = 4 // keepalive on an idle connection: no body
	// KindItem carries one item of a stream, callee to caller: the call
	// id, then the item as a one-element array.
	KindItem Kind = 5
	// KindCredit lets a stream's callee send more items: the call id,
	// then how many more.
	KindCredit Kind = 6
	// KindBatch carries several calls to run in order, caller to callee,
	// and KindBatchReturn their replies, all at once (see batch.go).
	KindBatch       Kind = 7
	KindBatchReturn Kind = 8
)

func (k Kind) String() string {
	switch k {
	case KindCall:
		return "call"
	case KindReturn:
		return "return"
	case KindCancel:
		return "cancel"
	case KindPing:
		return "ping"
	case KindItem:
		return "item"
	case KindCredit:
		return "credit"
	case KindBatch:
		return "batch"
	case KindBatchReturn:
		return "batch return"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// prefixLen is the size of the length prefix in front of every frame.
const prefixLen = 4

// idOffset is where the fixed-width call id starts inside a buffer:
// after the length prefix, the kind byte and the 0xcf uint64 marker.
const idOffset = prefixLen + 1 + 1

// idLen is the encoded call id: the 0xcf code and eight bytes.
const idLen = 9

// ErrFrameTooLarge is returned when a peer announces a frame above the limit.
var ErrFrameTooLarge = errors.New("objrmi/wire: frame exceeds the size limit")

// Buffer is an outgoing frame under construction. It implements io.Writer
// so a msgpack encoder can write straight into it, and it is pooled.
type Buffer struct {
	B     []byte
	small []byte // the buffer's own bytes, while B is a pooled large slice
}

var bufPool = sync.Pool{New: func() any {
	p := make([]byte, 0, 512)
	return &Buffer{B: p, small: p}
}}

// maxPooled keeps one huge frame from pinning its memory in the pool.
const maxPooled = 1 << 20

// GetBuffer returns an empty frame of the given kind.
func GetBuffer(k Kind) *Buffer {
	b := bufPool.Get().(*Buffer)
	b.B = append(b.B[:0], 0, 0, 0, 0, byte(k))
	return b
}

// Release returns b to the pool. b must not be used afterwards.
func (b *Buffer) Release() {
	if cap(b.B) > trustedPrefix && putLarge(b.B) {
		b.B = b.small[:0]
	}
	if cap(b.B) > maxPooled {
		return
	}
	bufPool.Put(b)
}

// Write appends p; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	if need := len(b.B) + len(p); need > cap(b.B) && need > trustedPrefix {
		b.grow(need)
	}
	b.B = append(b.B, p...)
	return len(p), nil
}

// grow moves b's bytes to a pooled large slice of at least need bytes.
func (b *Buffer) grow(need int) {
	nb := getLarge(max(need, 2*cap(b.B)))[:len(b.B)]
	copy(nb, b.B)
	if cap(b.B) > trustedPrefix {
		putLarge(b.B)
	}
	b.B = nb
}

// WriteByte appends c; it never fails.
func (b *Buffer) WriteByte(c byte) error {
	b.B = append(b.B, c)
	return nil
}

// Kind reports the frame's kind.
func (b *Buffer) Kind() Kind { return Kind(b.B[prefixLen]) }

// PutID appends a call id in the fixed-width form SetID can overwrite.
func (b *Buffer) PutID(id uint64) {
	b.B = append(b.B, 0xcf)
	b.B = binary.BigEndian.AppendUint64(b.B, id)
}

// ID reads the call id written by PutID.
func (b *Buffer) ID() uint64 { return binary.BigEndian.Uint64(b.B[idOffset:]) }

// SetID overwrites the call id written by PutID.
func (b *Buffer) SetID(id uint64) { binary.BigEndian.PutUint64(b.B[idOffset:], id) }

// Bytes seals the length prefix and returns the whole frame.
func (b *Buffer) Bytes() []byte {
	binary.BigEndian.PutUint32(b.B, uint32(len(b.B)-prefixLen))
	return b.B
}

// Frame is an incoming frame: its body without the length prefix. The
// first byte is the kind.
type Frame struct {
	B     []byte
	small []byte // the frame's own bytes, while B is a pooled large slice
}

var framePool = sync.Pool{New: func() any {
	p := make([]byte, 0, 512)
	return &Frame{B: p, small: p}
}}

// Kind reports the frame's kind.
func (f *Frame) Kind() Kind { return Kind(f.B[0]) }

// Body returns the bytes after the kind.
func (f *Frame) Body() []byte { return f.B[1:] }

// Release returns f to the pool. f must not be used afterwards.
func (f *Frame) Release() {
	if cap(f.B) > trustedPrefix && putLarge(f.B) {
		f.B = f.small[:0]
	}
	if cap(f.B) > maxPooled {
		return
	}
	framePool.Put(f)
}

// ReadFrame reads one frame from r. A frame longer than max is refused
// before any of it is allocated; an empty frame is a protocol error.
func ReadFrame(r io.Reader, max int) (*Frame, error) {
	// The prefix is read into the pooled frame's own bytes: a local array
	// would escape through r and cost an allocation per frame.
	f := framePool.Get().(*Frame)
	if cap(f.B) < prefixLen {
		f.B = make([]byte, 0, 512)
	}
	p := f.B[:prefixLen]
	if _, err := io.ReadFull(r, p); err != nil {
		f.Release()
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(p))
	if n > max {
		f.Release()
		return nil, fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, n, max)
	}
	if n == 0 {
		f.Release()
		return nil, errors.New("objrmi/wire: empty frame")
	}
	if err := f.fill(r, n); err != nil {
		f.Release()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return f, nil
}

// trustedPrefix is how much of an announced frame is allocated before
// any of it arrives. Beyond it the buffer doubles as bytes come in, so
// a peer that announces 16 MiB and sends five bytes costs 64 KiB, not
// 16 MiB: memory follows what was sent, not what was promised.
const trustedPrefix = 64 << 10

func (f *Frame) fill(r io.Reader, n int) error {
	if cap(f.B) >= n || n <= trustedPrefix {
		if cap(f.B) < n {
			f.B = make([]byte, n)
		}
		f.B = f.B[:n]
		_, err := io.ReadFull(r, f.B)
		return err
	}
	// A large frame is read into pooled chunks of trustedPrefix bytes,
	// one per trustedPrefix that arrives, and copied into one slice of
	// exactly n bytes once all of it has: doubling a buffer as bytes come
	// in allocated about three times the frame (a 1 MiB echo spent 59%
	// of its allocations here).
	chunks := make([]*[trustedPrefix]byte, 0, (n+trustedPrefix-1)/trustedPrefix)
	defer func() {
		for _, c := range chunks {
			chunkPool.Put(c)
		}
	}()
	for got := 0; got < n; got += trustedPrefix {
		c := chunkPool.Get().(*[trustedPrefix]byte)
		chunks = append(chunks, c)
		if _, err := io.ReadFull(r, c[:min(trustedPrefix, n-got)]); err != nil {
			return err
		}
	}
	f.B = getLarge(n)
	for i, c := range chunks {
		copy(f.B[i*trustedPrefix:], c[:])
	}
	return nil
}

// chunkPool holds the chunks large frames are read into.
var chunkPool = sync.Pool{New: func() any { return new([trustedPrefix]byte) }}

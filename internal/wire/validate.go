package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Limits bound the shape of one argument or result list, before any of
// it is decoded into Go values.
type Limits struct {
	// MaxDepth bounds how deeply arrays and maps may nest.
	MaxDepth int
	// MaxCollectionLen bounds the elements of one array or entries of one
	// map. A frame's size alone would allow one element per byte, and a
	// one-byte element can decode into a 16-byte Go value or more.
	MaxCollectionLen int
}

// Default limits.
const (
	MaxDepth         = 64
	MaxCollectionLen = 1 << 20
)

// DefaultLimits are the limits a runtime uses unless configured.
var DefaultLimits = Limits{MaxDepth: MaxDepth, MaxCollectionLen: MaxCollectionLen}

// ErrMalformed is returned by Validate for bytes that are not one
// well-formed msgpack value.
var ErrMalformed = errors.New("objrmi/wire: malformed value")

// ErrLimit is returned by Validate for a well-formed value that breaks a
// configured limit. A peer that sends one is disconnected.
var ErrLimit = errors.New("objrmi/wire: limit exceeded")

// Validate checks that the decoder's remaining bytes hold exactly one
// well-formed msgpack value, no collection longer than the bytes that
// could follow it, and nothing beyond l. It runs before
// any decoding into Go values, so that neither msgpack nor objrmi ever
// allocates for a length it cannot fill or recurses without bound: a few
// hostile bytes cannot exhaust memory or the stack.
func (d *Decoder) Validate(l Limits) error {
	return validate(d.p[len(d.p)-d.r.Len():], l)
}

func validate(p []byte, l Limits) error {
	// pending[i] counts the values still owed to the i-th open collection.
	pending := make([]int, 0, 8)
	need := 1 // values owed at the top level
	for need > 0 || len(pending) > 0 {
		if need == 0 {
			need = pending[len(pending)-1]
			pending = pending[:len(pending)-1]
			continue
		}
		need--
		if len(p) == 0 {
			return fmt.Errorf("%w: truncated", ErrMalformed)
		}
		n, skip, err := head(p)
		if err != nil {
			return err
		}
		isMap := p[0]&0xf0 == 0x80 || p[0] == 0xde || p[0] == 0xdf
		p = p[skip:]
		if n < 0 { // a scalar or a byte string of -n-1 bytes
			if size := -n - 1; size > len(p) {
				return fmt.Errorf("%w: %d bytes announced, %d left", ErrMalformed, size, len(p))
			} else {
				p = p[size:]
			}
			continue
		}
		if n > len(p) {
			return fmt.Errorf("%w: collection of %d values with %d bytes left", ErrMalformed, n, len(p))
		}
		elems := n
		if isMap {
			elems /= 2
		}
		if elems > l.MaxCollectionLen {
			return fmt.Errorf("%w: MaxCollectionLen: collection of %d elements, limit %d", ErrLimit, elems, l.MaxCollectionLen)
		}
		if n > 0 {
			if len(pending) >= l.MaxDepth {
				return fmt.Errorf("%w: MaxDepth: nested deeper than %d", ErrLimit, l.MaxDepth)
			}
			pending = append(pending, need)
			need = n
		}
	}
	if len(p) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(p))
	}
	return nil
}

// fixedSize is the payload size of the msgpack codes whose size is fixed
// by the code alone: numbers and fixext (a type byte plus the data).
var fixedSize = [256]uint8{0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8,
	0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xd4: 2, 0xd5: 3, 0xd6: 5, 0xd7: 9, 0xd8: 17}

// head decodes the header of one msgpack value. It returns the number of
// values the value contains (arrays: n, maps: 2n) or, for everything
// else, -(payload size)-1, and the header's own length.
func head(p []byte) (n, skip int, err error) {
	c := p[0]
	switch {
	case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
		return -1, 1, nil
	case c >= 0x80 && c <= 0x8f:
		return 2 * int(c&0x0f), 1, nil
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f), 1, nil
	case c >= 0xa0 && c <= 0xbf:
		return -int(c&0x1f) - 1, 1, nil
	}
	if size := fixedSize[c]; size > 0 {
		return -int(size) - 1, 1, nil
	}
	var width, mult, extra int
	switch c {
	case 0xc4, 0xd9: // bin8, str8
		width = 1
	case 0xc5, 0xda:
		width = 2
	case 0xc6, 0xdb:
		width = 4
	case 0xc7, 0xc8, 0xc9: // ext: length, then a type byte
		width, extra = 1<<(c-0xc7), 1
	case 0xdc: // array16, array32
		width, mult = 2, 1
	case 0xdd:
		width, mult = 4, 1
	case 0xde: // map16, map32
		width, mult = 2, 2
	case 0xdf:
		width, mult = 4, 2
	default:
		return 0, 0, fmt.Errorf("%w: reserved code %#x", ErrMalformed, c)
	}
	if len(p) < 1+width {
		return 0, 0, fmt.Errorf("%w: truncated length", ErrMalformed)
	}
	var l uint64
	switch width {
	case 1:
		l = uint64(p[1])
	case 2:
		l = uint64(binary.BigEndian.Uint16(p[1:]))
	case 4:
		l = uint64(binary.BigEndian.Uint32(p[1:]))
	}
	if l > 1<<31 {
		return 0, 0, fmt.Errorf("%w: length %d", ErrMalformed, l)
	}
	if mult > 0 {
		return mult * int(l), 1 + width, nil
	}
	return -int(l) - extra - 1, 1 + width, nil
}

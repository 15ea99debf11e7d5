package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxDepth bounds how deeply msgpack arrays and maps may nest in one
// argument or result list.
const MaxDepth = 64

// ErrMalformed is returned by Validate.
var ErrMalformed = errors.New("objrmi/wire: malformed value")

// Validate checks that the decoder's remaining bytes hold exactly one
// well-formed msgpack value, no collection longer than the bytes that
// could follow it, and no nesting deeper than maxDepth. It runs before
// any decoding into Go values, so that neither msgpack nor objrmi ever
// allocates for a length it cannot fill or recurses without bound: a few
// hostile bytes cannot exhaust memory or the stack.
func (d *Decoder) Validate(maxDepth int) error {
	return validate(d.p[len(d.p)-d.r.Len():], maxDepth)
}

func validate(p []byte, maxDepth int) error {
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
		if n > 0 {
			if len(pending) >= maxDepth {
				return fmt.Errorf("%w: nested deeper than %d", ErrMalformed, maxDepth)
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

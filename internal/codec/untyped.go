package codec

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/objrmi/objrmi/internal/wire"
)

// UntypedExtError refuses a msgpack extension where any is declared.
// msgpack's own DecodeInterface would build whatever Go type some package
// in the process registered under the id: a peer would choose the type.
type UntypedExtError struct {
	Type int8
}

func (e *UntypedExtError) Error() string {
	return fmt.Sprintf("an untyped value (any) cannot carry msgpack extension type %d: declare a concrete type for it", e.Type)
}

// timestampExt is msgpack's timestamp extension: the one extension that
// stands for plain data (time.Time), as it does in every msgpack library.
const timestampExt = -1

// DecodeUntyped decodes one value with no declared type, as decoding into
// any does: plain data only, never a registered extension type. It is for
// callers that have no shapes, such as dynamic calls.
func DecodeUntyped(d *wire.Decoder) (any, error) {
	return decodeUntyped(d, 0)
}

// decodeUntyped decodes a value declared as any into plain data only:
// nil, bool, numbers, strings and byte strings as msgpack's
// DecodeInterface gives them, time.Time, []any, and map[string]any
// (map[any]any when some key is not a string).
func decodeUntyped(d *wire.Decoder, depth int) (any, error) {
	if depth > wire.MaxDepth {
		return nil, fmt.Errorf("%w: untyped value deeper than %d", ErrDepth, wire.MaxDepth)
	}
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case isArray(c):
		return decodeUntypedArray(d, depth+1)
	case isMap(c):
		return decodeUntypedMap(d, depth+1)
	case msgpcode.IsExt(c):
		return decodeUntypedExt(d)
	case msgpcode.IsString(c):
		// Bounded: msgpack allocates whatever length a header announces.
		s, err := d.BoundedString()
		if err != nil {
			return nil, err
		}
		return s, nil
	case msgpcode.IsBin(c):
		b, err := d.BoundedBytes()
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	// Scalars: nothing to build but the number or bool itself.
	return d.DecodeInterface()
}

func decodeUntypedArray(d *wire.Decoder, depth int) (any, error) {
	n, err := collectionLen(d, d.DecodeArrayLen)
	if err != nil {
		return nil, err
	}
	a := make([]any, n)
	for i := range a {
		if a[i], err = decodeUntyped(d, depth); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func decodeUntypedMap(d *wire.Decoder, depth int) (any, error) {
	n, err := collectionLen(d, d.DecodeMapLen)
	if err != nil {
		return nil, err
	}
	strs := make(map[string]any, n)
	var anys map[any]any // from the first key that is not a string on
	for range n {
		k, err := decodeUntypedKey(d, depth)
		if err != nil {
			return nil, err
		}
		v, err := decodeUntyped(d, depth)
		if err != nil {
			return nil, err
		}
		if s, ok := k.(string); ok && anys == nil {
			strs[s] = v
			continue
		}
		if anys == nil {
			anys = make(map[any]any, n)
			for s, v := range strs {
				anys[s] = v
			}
		}
		anys[k] = v
	}
	if anys != nil {
		return anys, nil
	}
	return strs, nil
}

// decodeUntypedKey decodes a map key declared as any, or one inside an
// untyped map. Only scalars hash: a slice or map key would panic.
func decodeUntypedKey(d *wire.Decoder, depth int) (any, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	if isArray(c) || isMap(c) || msgpcode.IsBin(c) {
		return nil, fmt.Errorf("an untyped map key must be a scalar, not %s", codeKind(c))
	}
	return decodeUntyped(d, depth)
}

func decodeUntypedExt(d *wire.Decoder) (any, error) {
	id, n, err := d.DecodeExtHeader()
	if err != nil {
		return nil, err
	}
	if id != timestampExt {
		return nil, &UntypedExtError{Type: id}
	}
	var b [12]byte
	if n != 4 && n != 8 && n != 12 {
		return nil, fmt.Errorf("msgpack timestamp of %d bytes", n)
	}
	if err := d.ReadFull(b[:n]); err != nil {
		return nil, err
	}
	var t time.Time
	switch n {
	case 4:
		t = time.Unix(int64(binary.BigEndian.Uint32(b[:])), 0)
	case 8:
		v := binary.BigEndian.Uint64(b[:])
		t = time.Unix(int64(v&(1<<34-1)), int64(v>>34))
	case 12:
		t = time.Unix(int64(binary.BigEndian.Uint64(b[4:])), int64(binary.BigEndian.Uint32(b[:])))
	}
	if t.IsZero() {
		t = t.UTC() // as msgpack does: the zero time has no zone
	}
	return t, nil
}

func isArray(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}

func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}

func codeKind(c byte) string {
	switch {
	case isArray(c):
		return "an array"
	case isMap(c):
		return "a map"
	}
	return "a byte string"
}

// Package codec encodes argument and result lists for objrmi calls. Plain
// values go straight to msgpack; remote interfaces, wherever they appear
// (a parameter, a struct field, a slice element), become wire references
// through a Refs implementation that the runtime supplies. Decoding only
// ever builds the declared Go types: nothing on the wire names a type.
// Where a type declares any, the wire may only choose among plain data
// (see decodeUntyped), never a type registered as a msgpack extension.
package codec

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
)

// Refs turns remote-interface values into references and back. The
// runtime implements it: encoding may export a local object implicitly,
// decoding gives a stub, or the local object itself when the reference
// points home.
type Refs interface {
	EncodeRef(v reflect.Value, it *iface.Interface) (wire.Ref, error)
	DecodeRef(r *wire.Ref, it *iface.Interface) (reflect.Value, error)
	// PassRef readies a wire.Ref value for the trip: it keeps the object
	// alive until the receiver claims it, as EncodeRef does.
	PassRef(r wire.Ref) (wire.Ref, error)
}

// ErrCount is returned when a list has the wrong number of values.
var ErrCount = errors.New("wrong number of values")

// ErrDepth is returned for a value nested deeper than wire.MaxDepth.
var ErrDepth = errors.New("value nested too deeply")

// ErrPanic is returned when msgpack panics on hostile input, as it does
// for nil where a time.Time sits inside a value that objrmi does not walk.
// One bad value must fail its own call, not the process.
var ErrPanic = errors.New("decoder panicked")

func recoverPanic(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", ErrPanic, r)
	}
}

// EncodeList writes vals as one msgpack array, each by its shape.
func EncodeList(e *wire.Encoder, shapes []*iface.Shape, vals []any, refs Refs) error {
	if err := e.EncodeArrayLen(len(vals)); err != nil {
		return err
	}
	for i, s := range shapes {
		if err := encodeAny(e, s, vals[i], refs); err != nil {
			return fmt.Errorf("value %d (%s): %w", i, s.Type, err)
		}
	}
	return nil
}

// EncodeValues is EncodeList for reflect values, as a skeleton has them.
func EncodeValues(e *wire.Encoder, shapes []*iface.Shape, vals []reflect.Value, refs Refs) error {
	if err := e.EncodeArrayLen(len(vals)); err != nil {
		return err
	}
	for i, s := range shapes {
		if err := Encode(e, s, vals[i], refs); err != nil {
			return fmt.Errorf("value %d (%s): %w", i, s.Type, err)
		}
	}
	return nil
}

func encodeAny(e *wire.Encoder, s *iface.Shape, v any, refs Refs) error {
	if !s.Walk || s.Untyped {
		return e.Encode(v)
	}
	if s.Remote != nil {
		return encodeRemote(e, s, v, refs)
	}
	return Encode(e, s, reflect.ValueOf(v), refs)
}

// encodeRemote is encodeAny for a remote interface, apart so that only
// its v is moved to the heap by &v: in encodeAny, that cost two
// allocations on every small call.
func encodeRemote(e *wire.Encoder, s *iface.Shape, v any, refs Refs) error {
	// Encode wants the interface itself, as a struct field would give it.
	return Encode(e, s, reflect.ValueOf(&v).Elem(), refs)
}

// DecodeList reads one msgpack array into ptrs, which point to values of
// the shapes' types.
func DecodeList(d *wire.Decoder, shapes []*iface.Shape, ptrs []any, refs Refs) (err error) {
	defer recoverPanic(&err)
	if err := listLen(d, len(shapes)); err != nil {
		return err
	}
	for i, s := range shapes {
		if !s.Walk {
			err = d.Decode(ptrs[i])
		} else {
			err = Decode(d, s, reflect.ValueOf(ptrs[i]).Elem(), refs)
		}
		if err != nil {
			return fmt.Errorf("value %d (%s): %w", i, s.Type, err)
		}
	}
	return nil
}

// DecodeValues reads one msgpack array into settable values.
func DecodeValues(d *wire.Decoder, shapes []*iface.Shape, vals []reflect.Value, refs Refs) (err error) {
	defer recoverPanic(&err)
	if err := listLen(d, len(shapes)); err != nil {
		return err
	}
	for i, s := range shapes {
		if err := Decode(d, s, vals[i], refs); err != nil {
			return fmt.Errorf("value %d (%s): %w", i, s.Type, err)
		}
	}
	return nil
}

// ListLen reads the length of an argument or result list, which must be
// want: generated server code decodes the values one by one after it.
func ListLen(d *wire.Decoder, want int) error { return listLen(d, want) }

// EncodeOne writes one value of a list by its shape, as EncodeList does.
func EncodeOne(e *wire.Encoder, s *iface.Shape, v any, refs Refs) error {
	return encodeAny(e, s, v, refs)
}

// IsNil reports whether the next value is msgpack's nil.
func IsNil(d *wire.Decoder) bool { return isNil(d) }

func listLen(d *wire.Decoder, want int) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("%w: got %d, want %d", ErrCount, n, want)
	}
	return nil
}

// Encode writes v by its shape.
func Encode(e *wire.Encoder, s *iface.Shape, v reflect.Value, refs Refs) error {
	return encode(e, s, v, refs, 0)
}

// encode counts its depth: a value that contains itself (a cyclic
// pointer graph) fails instead of recursing until the stack is gone.
func encode(e *wire.Encoder, s *iface.Shape, v reflect.Value, refs Refs, depth int) error {
	if depth > wire.MaxDepth {
		return fmt.Errorf("%w: deeper than %d (a cycle?)", ErrDepth, wire.MaxDepth)
	}
	depth++
	switch {
	case s.Remote != nil:
		if v.IsNil() {
			return e.EncodeNil()
		}
		r, err := refs.EncodeRef(v.Elem(), s.Remote)
		if err != nil {
			return err
		}
		return wire.PutRef(e, &r)
	case s.Ref:
		r := asWireRef(v)
		if r == (wire.Ref{}) {
			return e.EncodeNil()
		}
		r, err := refs.PassRef(r)
		if err != nil {
			return err
		}
		return wire.PutRef(e, &r)
	case !s.Walk || s.Untyped:
		// Only decoding needs objrmi's care for any: what it sends,
		// msgpack encodes as it would anywhere.
		return e.EncodeValue(v)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return e.EncodeNil()
		}
		return encode(e, s.Elem, v.Elem(), refs, depth)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return e.EncodeNil()
		}
		if err := e.EncodeArrayLen(v.Len()); err != nil {
			return err
		}
		for i := range v.Len() {
			if err := encode(e, s.Elem, v.Index(i), refs, depth); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if v.IsNil() {
			return e.EncodeNil()
		}
		if err := e.EncodeMapLen(v.Len()); err != nil {
			return err
		}
		for it := v.MapRange(); it.Next(); {
			if err := encode(e, s.Key, it.Key(), refs, depth); err != nil {
				return err
			}
			if err := encode(e, s.Elem, it.Value(), refs, depth); err != nil {
				return err
			}
		}
		return nil
	case reflect.Struct:
		if err := e.EncodeMapLen(len(s.Fields)); err != nil {
			return err
		}
		for _, f := range s.Fields {
			if err := e.EncodeString(f.Name); err != nil {
				return err
			}
			if err := encode(e, f.Shape, v.Field(f.Index), refs, depth); err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
		return nil
	}
	return fmt.Errorf("cannot encode %s", v.Type())
}

// Decode reads into v (settable) by its shape.
func Decode(d *wire.Decoder, s *iface.Shape, v reflect.Value, refs Refs) (err error) {
	defer recoverPanic(&err)
	return decode(d, s, v, refs, 0)
}

// decode counts its depth as encode does. Callers validate the nesting
// before decoding, but a recursive walk must not depend on that to end.
func decode(d *wire.Decoder, s *iface.Shape, v reflect.Value, refs Refs, depth int) error {
	if !s.Walk {
		return decodePlain(d, v)
	}
	if depth > wire.MaxDepth {
		return fmt.Errorf("%w: deeper than %d", ErrDepth, wire.MaxDepth)
	}
	depth++
	if isNil(d) {
		v.SetZero()
		return d.DecodeNil()
	}
	switch {
	case s.Untyped:
		x, err := decodeUntyped(d, depth)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(&x).Elem())
		return nil
	case s.Ref:
		// The pin stays on: whoever makes a stub of it claims it.
		return wire.ReadRef(d, (*wire.Ref)(v.Addr().UnsafePointer()))
	case s.Remote != nil:
		var r wire.Ref
		if err := wire.ReadRef(d, &r); err != nil {
			return err
		}
		obj, err := refs.DecodeRef(&r, s.Remote)
		if err != nil {
			return err
		}
		v.Set(obj)
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(s.Elem.Type)
		if err := decode(d, s.Elem, p.Elem(), refs, depth); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Slice, reflect.Array:
		n, err := collectionLen(d, d.DecodeArrayLen)
		if err != nil {
			return err
		}
		if v.Kind() == reflect.Slice {
			v.Set(reflect.MakeSlice(v.Type(), n, n))
		} else if n != v.Len() {
			return fmt.Errorf("array of %d for %s", n, v.Type())
		}
		for i := range n {
			if err := decode(d, s.Elem, v.Index(i), refs, depth); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		n, err := collectionLen(d, d.DecodeMapLen)
		if err != nil {
			return err
		}
		m := reflect.MakeMapWithSize(v.Type(), n)
		for range n {
			k, err := decodeKey(d, s.Key, refs, depth)
			if err != nil {
				return err
			}
			e := reflect.New(s.Elem.Type).Elem()
			if err := decode(d, s.Elem, e, refs, depth); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return nil
	case reflect.Struct:
		return decodeStruct(d, s, v, refs, depth)
	}
	return fmt.Errorf("cannot decode %s", v.Type())
}

// decodeKey reads a map key. A key that holds an interface could come
// back unhashable (a slice inside any), which would panic in SetMapIndex.
func decodeKey(d *wire.Decoder, s *iface.Shape, refs Refs, depth int) (reflect.Value, error) {
	k := reflect.New(s.Type).Elem()
	if s.Untyped {
		x, err := decodeUntypedKey(d, depth)
		if err != nil {
			return k, err
		}
		k.Set(reflect.ValueOf(&x).Elem())
		return k, nil
	}
	if err := decode(d, s, k, refs, depth); err != nil {
		return k, err
	}
	if !k.Comparable() {
		return k, fmt.Errorf("map key of %s holds a value that cannot be a key", s.Type)
	}
	return k, nil
}

func decodeStruct(d *wire.Decoder, s *iface.Shape, v reflect.Value, refs Refs, depth int) error {
	n, err := collectionLen(d, d.DecodeMapLen)
	if err != nil {
		return err
	}
	for range n {
		name, err := d.BoundedString()
		if err != nil {
			return err
		}
		f := s.Field(name)
		if f == nil {
			if err := d.Skip(); err != nil {
				return err
			}
			continue
		}
		if err := decode(d, f.Shape, v.Field(f.Index), refs, depth); err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
	}
	return nil
}

// decodePlain hands v to msgpack. msgpack makes nil the zero value, except
// that its decoder for an extension registered as a value type (time.Time)
// panics on nil; taking nil here gives the zero value for those too.
var bytesType = reflect.TypeFor[[]byte]()

func decodePlain(d *wire.Decoder, v reflect.Value) error {
	if v.Type() == bytesType {
		p, err := d.CopyBytes()
		if err == nil {
			v.SetBytes(p)
		}
		return err
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
	default:
		if isNil(d) {
			v.SetZero()
			return d.DecodeNil()
		}
	}
	return d.DecodeValue(v)
}

func isNil(d *wire.Decoder) bool {
	c, err := d.PeekCode()
	return err == nil && c == msgpcode.Nil
}

// collectionLen reads a length and refuses one that the rest of the frame
// cannot hold (every element takes at least one byte), before allocating.
func collectionLen(d *wire.Decoder, read func() (int, error)) (int, error) {
	n, err := read()
	if err != nil {
		return 0, err
	}
	if n < 0 || n > d.Remaining() {
		return 0, fmt.Errorf("collection of %d elements with %d bytes left", n, d.Remaining())
	}
	return n, nil
}

// wireRefType is the wire's form of remote.Ref: the same fields, so a
// remote.Ref converts to it (and iface vouches that a value of shape Ref
// is a remote.Ref).
var wireRefType = reflect.TypeFor[wire.Ref]()

// asWireRef returns the remote.Ref in v as a wire.Ref.
func asWireRef(v reflect.Value) wire.Ref {
	if v.CanAddr() {
		return *(*wire.Ref)(v.Addr().UnsafePointer())
	}
	return v.Convert(wireRefType).Interface().(wire.Ref)
}

// Package codec encodes argument and result lists for objrmi calls. Plain
// values go straight to msgpack; remote interfaces, wherever they appear
// (a parameter, a struct field, a slice element), become wire references
// through a Refs implementation that the runtime supplies. Decoding only
// ever builds the declared Go types: nothing on the wire names a type.
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
	if !s.HasRefs {
		return e.Encode(v)
	}
	if s.Remote != nil {
		// Encode wants the interface itself, as a struct field would give it.
		return Encode(e, s, reflect.ValueOf(&v).Elem(), refs)
	}
	return Encode(e, s, reflect.ValueOf(v), refs)
}

// DecodeList reads one msgpack array into ptrs, which point to values of
// the shapes' types.
func DecodeList(d *wire.Decoder, shapes []*iface.Shape, ptrs []any, refs Refs) error {
	if err := listLen(d, len(shapes)); err != nil {
		return err
	}
	for i, s := range shapes {
		var err error
		if !s.HasRefs {
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
func DecodeValues(d *wire.Decoder, shapes []*iface.Shape, vals []reflect.Value, refs Refs) error {
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
		return fmt.Errorf("value nested deeper than %d (a cycle?)", wire.MaxDepth)
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
		r := v.Interface().(wire.Ref)
		if r == (wire.Ref{}) {
			return e.EncodeNil()
		}
		r, err := refs.PassRef(r)
		if err != nil {
			return err
		}
		return wire.PutRef(e, &r)
	case !s.HasRefs:
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
			if err := e.EncodeValue(it.Key()); err != nil {
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
func Decode(d *wire.Decoder, s *iface.Shape, v reflect.Value, refs Refs) error {
	if !s.HasRefs {
		return d.DecodeValue(v)
	}
	if isNil(d) {
		v.SetZero()
		return d.DecodeNil()
	}
	switch {
	case s.Ref:
		// The pin stays on: whoever makes a stub of it claims it.
		return wire.ReadRef(d, v.Addr().Interface().(*wire.Ref))
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
		if err := Decode(d, s.Elem, p.Elem(), refs); err != nil {
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
			if err := Decode(d, s.Elem, v.Index(i), refs); err != nil {
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
			k := reflect.New(s.Key.Type).Elem()
			if err := d.DecodeValue(k); err != nil {
				return err
			}
			e := reflect.New(s.Elem.Type).Elem()
			if err := Decode(d, s.Elem, e, refs); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return nil
	case reflect.Struct:
		return decodeStruct(d, s, v, refs)
	}
	return fmt.Errorf("cannot decode %s", v.Type())
}

func decodeStruct(d *wire.Decoder, s *iface.Shape, v reflect.Value, refs Refs) error {
	n, err := collectionLen(d, d.DecodeMapLen)
	if err != nil {
		return err
	}
	for range n {
		name, err := d.DecodeString()
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
		if err := Decode(d, f.Shape, v.Field(f.Index), refs); err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
	}
	return nil
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

package iface

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/objrmi/objrmi/objerr"
)

// Shape describes how a parameter or result type crosses the wire.
type Shape struct {
	Type reflect.Type // nil when built by Check
	// Remote is set when the type is a remote interface: the value is
	// passed by reference.
	Remote *Interface
	// Ref is set for remote.Ref itself: a reference to an
	// object of any interface, which travels pinned like a typed one, so
	// that a service such as the registry can pass objects it cannot name
	// the type of.
	Ref bool
	// Untyped is set for any (interface{}): the wire decides what it
	// holds, so objrmi decodes it itself, allowing plain data only.
	Untyped bool
	// Walk is set when a remote reference or an untyped value hides
	// inside the value (a struct field, a slice element, a map key, ...).
	// Such values are encoded and decoded by objrmi's walker; all others
	// go straight to msgpack, which would otherwise build whatever Go
	// type a registered msgpack extension names.
	Walk   bool
	Elem   *Shape  // pointer, slice, array: element; map: value
	Key    *Shape  // map key
	Fields []Field // struct: exported fields
	opaque bool    // encodes itself (time.Time, msgpack.CustomEncoder, ...)
	typ    Type
}

// Field is one struct field as the walker sees it.
type Field struct {
	Index    int
	Name     string
	Shape    *Shape
	Embedded bool // msgpack inlines embedded structs: a different wire shape
}

var shapes sync.Map // reflect.Type -> *Shape

// ShapeOf returns the shape of a type already seen by Of.
func ShapeOf(t reflect.Type) *Shape {
	if v, ok := shapes.Load(t); ok {
		return v.(*Shape)
	}
	return nil
}

var (
	customEncoderType = reflect.TypeFor[msgpack.CustomEncoder]()
	marshalerType     = reflect.TypeFor[msgpack.Marshaler]()
	binaryMarshaler   = reflect.TypeFor[encoding.BinaryMarshaler]()
	textMarshaler     = reflect.TypeFor[encoding.TextMarshaler]()
)

func (b *builder) shape(t Type) (*Shape, error) {
	if rt := reflectType(t); rt != nil {
		if v, ok := shapes.Load(rt); ok {
			return v.(*Shape), nil
		}
	}
	if s, ok := b.shapes[t]; ok {
		return s, nil
	}
	s := &Shape{Type: reflectType(t), typ: t}
	b.shapes[t] = s
	if err := b.fill(s); err != nil {
		delete(b.shapes, t)
		return nil, err
	}
	return s, nil
}

func (b *builder) fill(s *Shape) error {
	t := s.typ
	if t.Special() == Ref {
		s.Ref = true
		return nil
	}
	if iterOf(t) != "" {
		return errStreamValue
	}
	if t.Kind() != reflect.Interface && t.SelfEncoding() {
		if !t.SelfDecoding() && hidesUntyped(t, map[Type]bool{}) {
			return errors.New(t.String() + " encodes itself but has no decoder, so msgpack would decode its fields," +
				" and an interface value hides among them: give it a decoder (DecodeMsgpack, UnmarshalBinary, ...) or concrete types")
		}
		s.opaque = true
		return nil
	}
	var err error
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return nil
	case reflect.Interface:
		switch {
		case t.Special() == Any:
			s.Untyped = true // decoded as plain values: maps, slices, numbers, strings
			return nil
		case t.Special() == Error:
			return errors.New("an error value cannot be passed; return it as the last result")
		}
		s.Remote, err = b.iface(t)
		if err != nil {
			return errors.New("interface " + t.String() + " is not a remote interface: " + err.Error())
		}
		return nil
	case reflect.Pointer, reflect.Slice, reflect.Array:
		s.Elem, err = b.shape(t.Elem())
		return err
	case reflect.Map:
		if s.Key, err = b.shape(t.Key()); err != nil {
			return err
		}
		if s.Key.Remote != nil {
			return errors.New("a remote interface cannot be a map key")
		}
		s.Elem, err = b.shape(t.Elem())
		return err
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			name, skip := fieldName(f)
			if skip && msgpackDecodesSkipped(f) && hidesUntyped(f.Type, map[Type]bool{}) {
				return errors.New("embedded field " + f.Name + " is unexported, yet msgpack decodes it," +
					" and an interface value hides inside: export it or give it concrete types")
			}
			if skip {
				continue
			}
			fs, err := b.shape(f.Type)
			if err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
			s.Fields = append(s.Fields, Field{Index: i, Name: name, Shape: fs, Embedded: f.Anonymous})
		}
		return nil
	}
	return errors.New(t.Kind().String() + " values cannot be encoded")
}

// selfEncoding reports whether t brings its own encoding, which msgpack
// will use, in msgpack's order (time.Time does, through BinaryMarshaler).
func selfEncoding(t reflect.Type) bool {
	for _, it := range []reflect.Type{customEncoderType, marshalerType, binaryMarshaler, textMarshaler} {
		if t.Implements(it) || reflect.PointerTo(t).Implements(it) {
			return true
		}
	}
	return false
}

// fieldName is the name msgpack gives a field, and whether it is skipped.
func fieldName(f TypeField) (string, bool) {
	if !f.Exported {
		return "", true
	}
	tag := f.Tag.Get("msgpack")
	if tag == "-" {
		return "", true
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name, false
	}
	return f.Name, false
}

// finish computes the walk flags to a fixed point (types can refer to
// themselves) and signs every method, refusing hash collisions.
func (b *builder) finish() error {
	for changed := true; changed; {
		changed = false
		for _, s := range b.shapes {
			if !s.Walk && s.needsWalk() {
				s.Walk, changed = true, true
			}
		}
	}
	for _, it := range b.ifaces {
		for _, m := range it.Methods {
			m.sign()
			if prev, dup := it.byHash[m.Hash]; dup {
				return &objerr.InterfaceError{Interface: it.typ.String(), Method: m.Name,
					Rule: "its wire hash collides with method " + prev.Name, Hint: "rename one of them"}
			}
			it.byHash[m.Hash] = m
		}
	}
	return nil
}

func (s *Shape) needsWalk() bool {
	if s.Remote != nil || s.Ref || s.Untyped {
		return true
	}
	if s.Elem != nil && s.Elem.Walk || s.Key != nil && s.Key.Walk {
		return true
	}
	for _, f := range s.Fields {
		if f.Shape.Walk {
			return true
		}
	}
	return false
}

// writeSig writes the wire shape of s: what must agree between two
// versions of an interface for a call to decode. Named types in a cycle
// are written by name the second time.
func (s *Shape) writeSig(b *strings.Builder, seen map[*Shape]bool) {
	t := s.typ
	switch {
	case s.Remote != nil:
		b.WriteString("remote " + s.Remote.Name)
		return
	case s.Ref:
		b.WriteString("remote any")
		return
	case s.opaque:
		if t.Name() != "" {
			b.WriteString(t.PkgPath() + "." + t.Name())
		} else {
			b.WriteString(t.String()) // *time.Time and the like
		}
		return
	case seen[s]:
		b.WriteString(t.Name())
		return
	}
	seen[s] = true
	defer delete(seen, s)
	switch t.Kind() {
	case reflect.Interface:
		b.WriteString("any")
	case reflect.Pointer:
		b.WriteByte('*')
		s.Elem.writeSig(b, seen)
	case reflect.Slice:
		b.WriteString("[]")
		s.Elem.writeSig(b, seen)
	case reflect.Array:
		b.WriteString("[" + strconv.Itoa(t.Len()) + "]")
		s.Elem.writeSig(b, seen)
	case reflect.Map:
		b.WriteString("map[")
		s.Key.writeSig(b, seen)
		b.WriteByte(']')
		s.Elem.writeSig(b, seen)
	case reflect.Struct:
		b.WriteString("struct{")
		for i, f := range s.Fields {
			if i > 0 {
				b.WriteByte(';')
			}
			if f.Embedded {
				b.WriteString("embedded ")
			}
			b.WriteString(f.Name + " ")
			f.Shape.writeSig(b, seen)
		}
		b.WriteByte('}')
	default:
		b.WriteString(t.Kind().String())
	}
}

// Field finds a struct field by its wire name.
func (s *Shape) Field(name string) *Field {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return &s.Fields[i]
		}
	}
	return nil
}

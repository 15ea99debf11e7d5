package iface

import (
	"encoding"
	"reflect"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

// msgpack decodes two kinds of value that the walker never sees: the
// fields of a type that encodes itself but brings no decoder, and
// unexported embedded fields, which msgpack decodes and Shape skips. An
// interface in there would be decoded by msgpack's DecodeInterface, which
// builds whatever type a registered extension id names, so such types
// are refused when the interface is built.

var (
	customDecoderType = reflect.TypeFor[msgpack.CustomDecoder]()
	unmarshalerType   = reflect.TypeFor[msgpack.Unmarshaler]()
	binaryUnmarshaler = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	textUnmarshaler   = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// selfDecoding reports whether msgpack decodes t by t's own method.
func selfDecoding(t reflect.Type) bool {
	for _, it := range []reflect.Type{customDecoderType, unmarshalerType, binaryUnmarshaler, textUnmarshaler} {
		if t.Implements(it) || reflect.PointerTo(t).Implements(it) {
			return true
		}
	}
	return false
}

// hidesUntyped reports whether msgpack, decoding t by its default rules,
// reaches an interface value.
func hidesUntyped(t Type, seen map[Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	if t.Kind() == reflect.Interface {
		return true
	}
	if t.SelfDecoding() {
		return false
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hidesUntyped(t.Elem(), seen)
	case reflect.Map:
		return hidesUntyped(t.Key(), seen) || hidesUntyped(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if (f.Exported || msgpackDecodesSkipped(f)) && tagName(f) != "-" && hidesUntyped(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// msgpackDecodesSkipped reports whether f, which fieldName skips, is
// decoded by msgpack all the same: an unexported embedded field.
func msgpackDecodesSkipped(f TypeField) bool {
	return f.Anonymous && !f.Exported && tagName(f) != "-"
}

func tagName(f TypeField) string {
	name, _, _ := strings.Cut(f.Tag.Get("msgpack"), ",")
	return name
}

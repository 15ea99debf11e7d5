package iface

import (
	"context"
	"reflect"
)

// The rules of a remote interface are written once, over Type, and fed
// from two sources: reflect.Type when a program exports or dials (Of),
// and go/types when cmd/objstub generates a shell (Check). One
// implementation is the only way to promise that the generator refuses
// exactly what Export refuses, with the same message: a port of the rules
// to go/types would drift the first time a rule changed. What can still
// differ is how each source answers these questions, which is small, and
// cmd/objstub's tests compare the two on a table of interfaces.

// Type is what the rules need to know of a Go type. Its methods mean what
// reflect.Type's methods of the same name mean, and String must be
// written as reflect writes it, since it appears in the messages.
type Type interface {
	Kind() reflect.Kind
	String() string
	Name() string
	PkgPath() string
	Elem() Type // pointer, slice, array, map, chan
	Key() Type  // map
	Len() int   // array
	NumField() int
	Field(i int) TypeField
	NumMethod() int          // interface types only
	Method(i int) TypeMethod // interface types only, in reflect's order
	NumIn() int              // func
	In(i int) Type           // func
	NumOut() int             // func
	Out(i int) Type          // func
	IsVariadic() bool        // func
	Special() Special        // the types the rules single out
	SelfEncoding() bool      // msgpack encodes it by its own method
	SelfDecoding() bool      // msgpack decodes it by its own method
}

// TypeField is a struct field, as reflect.StructField describes it.
type TypeField struct {
	Name      string
	Exported  bool
	Anonymous bool
	Tag       reflect.StructTag
	Type      Type
}

// TypeMethod is a method of an interface type: its func type has no
// receiver.
type TypeMethod struct {
	Name     string
	Exported bool
	Type     Type
}

// Special names the types that the rules single out.
type Special int

const (
	NotSpecial Special = iota
	Context            // context.Context
	Error              // error
	Any                // interface{}
	Ref                // remote.Ref
)

// Named returns the package path and name of a special type that is a
// named type (Context, Ref), so that another source of types can
// recognise it without repeating where it is declared.
func (s Special) Named() (pkgPath, name string) {
	switch s {
	case Context:
		return ctxType.PkgPath(), ctxType.Name()
	case Ref:
		return refPkg, refName
	}
	return "", ""
}

var (
	ctxType = reflect.TypeFor[context.Context]()
	errType = reflect.TypeFor[error]()
	anyType = reflect.TypeFor[any]()
)

// remote.Ref, named rather than imported: package remote imports this one.
// It is a struct with wire.Ref's fields (remote converts between them).
const (
	refPkg  = "github.com/objrmi/objrmi/remote"
	refName = "Ref"
)

// rtype feeds a reflect.Type to the rules. It is comparable, like the
// reflect.Type it holds, so it keys the builder's maps.
type rtype struct{ reflect.Type }

func (t rtype) Elem() Type { return rtype{t.Type.Elem()} }
func (t rtype) Key() Type  { return rtype{t.Type.Key()} }
func (t rtype) In(i int) Type {
	return rtype{t.Type.In(i)}
}
func (t rtype) Out(i int) Type { return rtype{t.Type.Out(i)} }

func (t rtype) Field(i int) TypeField {
	f := t.Type.Field(i)
	return TypeField{Name: f.Name, Exported: f.IsExported(), Anonymous: f.Anonymous, Tag: f.Tag, Type: rtype{f.Type}}
}

func (t rtype) Method(i int) TypeMethod {
	m := t.Type.Method(i)
	return TypeMethod{Name: m.Name, Exported: m.IsExported(), Type: rtype{m.Type}}
}

func (t rtype) Special() Special {
	switch t.Type {
	case ctxType:
		return Context
	case errType:
		return Error
	case anyType:
		return Any
	}
	if t.Type.Name() == refName && t.Type.PkgPath() == refPkg {
		return Ref
	}
	return NotSpecial
}

func (t rtype) SelfEncoding() bool { return selfEncoding(t.Type) }
func (t rtype) SelfDecoding() bool { return selfDecoding(t.Type) }

// reflectType is the reflect.Type behind t, or nil when t comes from
// another source: only those go into the process-wide caches.
func reflectType(t Type) reflect.Type {
	if r, ok := t.(rtype); ok {
		return r.Type
	}
	return nil
}

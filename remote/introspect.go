package remote

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/objerr"
)

// IntrospectID is the well-known id of a runtime's introspection object
// (an Introspector), which every runtime exports unless
// Options.DisableIntrospection says not to. Like any object, it is
// subject to Options.Authorize (Interface "Introspector"): a caller sees
// only what the rules let it call, with its own identity.
const IntrospectID = 3

// DescriptionVersion is the version of the Description format. It only
// grows by new fields; a tool that meets a higher version reads what it
// knows.
const DescriptionVersion = 1

// Introspector describes what a runtime exports, for tools such as
// objregistry's describe and call.
type Introspector interface {
	// Describe describes the remote interface object is exported as.
	Describe(ctx context.Context, object uint64) (Description, error)
}

// Description describes a remote interface: its methods, with their
// parameter and result types and marks.
type Description struct {
	Version   int // DescriptionVersion
	Interface string
	Methods   []MethodDesc
}

// MethodDesc describes one method. Params and Results leave out the
// context.Context and the final error every method has.
type MethodDesc struct {
	Name    string
	Sig     string // the wire signature its hash is computed from
	Params  []TypeDesc
	Results []TypeDesc
	Marks   []string // "oneway", "readonly", "idempotent"
}

// TypeDesc describes a parameter or result type, as far as a tool needs
// to build a value of it from JSON.
type TypeDesc struct {
	// Go is the type as Go source writes it: "int64", "[]string",
	// "shop.Order".
	Go string
	// Kind is one of bool, int, uint, float, string, bytes, time,
	// duration, struct, slice, array, map, pointer, remote (a remote
	// interface: a reference), ref (a remote.Ref) and any.
	Kind string
	// Elem is the element of a slice, array, pointer or map (its value).
	Elem *TypeDesc `msgpack:",omitempty"`
	// Key is a map's key.
	Key *TypeDesc `msgpack:",omitempty"`
	// Fields are a struct's fields, by their names on the wire. A struct
	// met again inside itself (a recursive type), or past a description's
	// bounds on depth and size, has none: Go names it.
	Fields []FieldDesc `msgpack:",omitempty"`
}

// FieldDesc is one struct field.
type FieldDesc struct {
	Name string
	Type TypeDesc
}

// introspector serves IntrospectID.
type introspector struct{ rt *Runtime }

var introspectorIface = mustIface[Introspector]()

func (in introspector) Describe(ctx context.Context, object uint64) (Description, error) {
	e, why := in.rt.exports.lookup(object)
	if e == nil || object == reservedDGC {
		if why == "" {
			why = fmt.Sprintf("object %d is the runtime's own", object)
		}
		return Description{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject, Reason: why}
	}
	if e.authorize != nil {
		// The export has a rule of its own: describe it only to those it
		// lets call it (as Dial's probe would).
		c, _ := callerConn(ctx)
		call := Call{Object: object, Interface: e.it.Name}
		if c != nil {
			call.Principal, call.Caller, call.Addr = Principal(c.Principal()), c.Peer().Runtime, c.RemoteAddr()
		}
		if err := e.authorize(ctx, call); err != nil {
			return Description{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeAccessDenied, Reason: err.Error()}
		}
	}
	return describe(e.it), nil
}

func describe(it *iface.Interface) Description {
	d := Description{Version: DescriptionVersion, Interface: it.Name}
	td := &describer{onPath: make(map[reflect.Type]bool)}
	for _, m := range it.Methods {
		md := MethodDesc{Name: m.Name, Sig: m.Sig}
		for _, sh := range m.In {
			md.Params = append(md.Params, td.typeDesc(sh, 0))
		}
		for _, sh := range m.Out {
			md.Results = append(md.Results, td.typeDesc(sh, 0))
		}
		if s := m.Marks.String(); s != "" {
			md.Marks = strings.Split(s, ",")
		}
		d.Methods = append(d.Methods, md)
	}
	return d
}

// maxTypeDepth bounds a description of nested types, and maxTypeNodes
// the nodes of one description: without it, a wide type nested deep
// grows as its width to the power of the depth, and any caller could
// make the runtime build it.
const (
	maxTypeDepth = 8
	maxTypeNodes = 1 << 12
)

// describer builds the TypeDescs of one description. A struct type is
// expanded once on each path, so a recursive type is described to its
// first repeat: the repeat names the type (Go) without its fields.
type describer struct {
	nodes  int
	onPath map[reflect.Type]bool
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

func (d *describer) typeDesc(sh *iface.Shape, depth int) TypeDesc {
	d.nodes++
	t := sh.Type
	td := TypeDesc{Go: t.String()}
	switch {
	case sh.Remote != nil:
		td.Kind = "remote"
		return td
	case sh.Ref:
		td.Kind = "ref"
		return td
	case sh.Untyped:
		td.Kind = "any"
		return td
	case t == timeType:
		td.Kind = "time"
		return td
	case t == durationType:
		td.Kind = "duration"
		return td
	}
	switch t.Kind() {
	case reflect.Bool:
		td.Kind = "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		td.Kind = "int"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		td.Kind = "uint"
	case reflect.Float32, reflect.Float64:
		td.Kind = "float"
	case reflect.String:
		td.Kind = "string"
	case reflect.Slice, reflect.Array:
		td.Kind = strings.ToLower(t.Kind().String())
		if t.Elem().Kind() == reflect.Uint8 {
			td.Kind = "bytes"
			return td
		}
	case reflect.Map:
		td.Kind = "map"
	case reflect.Pointer:
		td.Kind = "pointer"
	case reflect.Struct:
		td.Kind = "struct"
	default:
		td.Kind = "any"
	}
	if depth >= maxTypeDepth || d.nodes >= maxTypeNodes || d.onPath[t] {
		return td
	}
	if t.Kind() == reflect.Struct {
		d.onPath[t] = true
		defer delete(d.onPath, t)
	}
	if sh.Elem != nil {
		e := d.typeDesc(sh.Elem, depth+1)
		td.Elem = &e
	}
	if sh.Key != nil {
		k := d.typeDesc(sh.Key, depth+1)
		td.Key = &k
	}
	for _, f := range sh.Fields {
		td.Fields = append(td.Fields, FieldDesc{Name: f.Name, Type: d.typeDesc(f.Shape, depth+1)})
	}
	return td
}

// exportIntrospector exports the runtime's Introspector at IntrospectID.
func (rt *Runtime) exportIntrospector() error {
	if rt.opts.DisableIntrospection {
		return nil
	}
	_, err := rt.exports.add(introspectorIface, introspector{rt}, exportConfig{id: IntrospectID}, false)
	return err
}

// ownObject says whether object number num is the runtime's own: its DGC,
// its introspection and its health object, which Inspect and Stats leave
// out.
func (rt *Runtime) ownObject(num uint64) bool {
	return num == reservedDGC || (num == IntrospectID || num == HealthID) && !rt.opts.DisableIntrospection
}

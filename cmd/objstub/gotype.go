package main

import (
	"go/types"
	"reflect"
	"slices"
	"strconv"
	"strings"

	rules "github.com/objrmi/objrmi/internal/iface"
)

// gotype answers iface's questions about a type from go/types, as
// reflect would answer them about the same type compiled into a program,
// so that rules.Check refuses what iface.Of (and so Export) refuses, with
// the same message. TestRulesMatchExport holds the two together.
type gotype struct {
	c *typeConv
	t types.Type // without aliases
}

var _ rules.Type = (*gotype)(nil)

// typeConv interns gotypes: the rules key their maps by rules.Type, and
// identical types must meet as one key for recursion through a named
// type to end.
type typeConv struct{ seen map[string]*gotype }

func newTypeConv() *typeConv { return &typeConv{seen: map[string]*gotype{}} }

func (c *typeConv) of(t types.Type) rules.Type {
	t = types.Unalias(t)
	key := types.TypeString(t, nil) // package paths in full: unique
	if g, ok := c.seen[key]; ok {
		return g
	}
	g := &gotype{c: c, t: t}
	c.seen[key] = g
	return g
}

var basicKinds = map[types.BasicKind]reflect.Kind{
	types.Bool: reflect.Bool, types.String: reflect.String,
	types.Int: reflect.Int, types.Int8: reflect.Int8, types.Int16: reflect.Int16,
	types.Int32: reflect.Int32, types.Int64: reflect.Int64,
	types.Uint: reflect.Uint, types.Uint8: reflect.Uint8, types.Uint16: reflect.Uint16,
	types.Uint32: reflect.Uint32, types.Uint64: reflect.Uint64, types.Uintptr: reflect.Uintptr,
	types.Float32: reflect.Float32, types.Float64: reflect.Float64,
	types.Complex64: reflect.Complex64, types.Complex128: reflect.Complex128,
	types.UnsafePointer: reflect.UnsafePointer,
}

func (g *gotype) Kind() reflect.Kind {
	switch u := g.t.Underlying().(type) {
	case *types.Basic:
		return basicKinds[u.Kind()] // Invalid for what a program cannot hold
	case *types.Pointer:
		return reflect.Pointer
	case *types.Slice:
		return reflect.Slice
	case *types.Array:
		return reflect.Array
	case *types.Map:
		return reflect.Map
	case *types.Chan:
		return reflect.Chan
	case *types.Signature:
		return reflect.Func
	case *types.Struct:
		return reflect.Struct
	case *types.Interface:
		return reflect.Interface
	}
	return reflect.Invalid
}

func (g *gotype) String() string { return reflectString(g.t, false) }

func (g *gotype) Name() string {
	switch t := g.t.(type) {
	case *types.Named:
		return namedName(t)
	case *types.Basic:
		return basicKinds[t.Kind()].String() // byte is uint8 to reflect
	}
	return ""
}

func (g *gotype) PkgPath() string {
	if n, ok := g.t.(*types.Named); ok && n.Obj().Pkg() != nil {
		return n.Obj().Pkg().Path()
	}
	return ""
}

func (g *gotype) Elem() rules.Type {
	switch u := g.t.Underlying().(type) {
	case *types.Pointer:
		return g.c.of(u.Elem())
	case *types.Slice:
		return g.c.of(u.Elem())
	case *types.Array:
		return g.c.of(u.Elem())
	case *types.Map:
		return g.c.of(u.Elem())
	case *types.Chan:
		return g.c.of(u.Elem())
	}
	panic("objstub: Elem of " + g.String())
}

func (g *gotype) Key() rules.Type { return g.c.of(g.t.Underlying().(*types.Map).Key()) }
func (g *gotype) Len() int        { return int(g.t.Underlying().(*types.Array).Len()) }

func (g *gotype) NumField() int { return g.t.Underlying().(*types.Struct).NumFields() }

func (g *gotype) Field(i int) rules.TypeField {
	st := g.t.Underlying().(*types.Struct)
	f := st.Field(i)
	return rules.TypeField{Name: f.Name(), Exported: f.Exported(), Anonymous: f.Embedded(),
		Tag: reflect.StructTag(st.Tag(i)), Type: g.c.of(f.Type())}
}

func (g *gotype) NumMethod() int { return g.t.Underlying().(*types.Interface).NumMethods() }

func (g *gotype) Method(i int) rules.TypeMethod {
	m := methodsInReflectOrder(g.t.Underlying().(*types.Interface))[i]
	return rules.TypeMethod{Name: m.Name(), Exported: m.Exported(), Type: g.c.of(m.Type())}
}

// methodsInReflectOrder sorts as the compiler does for reflect: exported
// names first, then by name. go/types sorts by a key that puts the
// package path before unexported names.
func methodsInReflectOrder(it *types.Interface) []*types.Func {
	ms := make([]*types.Func, it.NumMethods())
	for i := range ms {
		ms[i] = it.Method(i)
	}
	slices.SortStableFunc(ms, func(a, b *types.Func) int {
		if a.Exported() != b.Exported() {
			if a.Exported() {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name(), b.Name())
	})
	return ms
}

func (g *gotype) sig() *types.Signature { return g.t.Underlying().(*types.Signature) }

func (g *gotype) NumIn() int          { return g.sig().Params().Len() }
func (g *gotype) In(i int) rules.Type { return g.c.of(g.sig().Params().At(i).Type()) }
func (g *gotype) NumOut() int         { return g.sig().Results().Len() }
func (g *gotype) Out(i int) rules.Type {
	return g.c.of(g.sig().Results().At(i).Type())
}
func (g *gotype) IsVariadic() bool { return g.sig().Variadic() }

// msgpackPath is where msgpack's Encoder and Decoder are declared, which
// the methods of its CustomEncoder and CustomDecoder take.
const msgpackPath = "github.com/vmihailenco/msgpack/v5"

func (g *gotype) Special() rules.Special {
	switch {
	case isSpecial(g.t, rules.Context):
		return rules.Context
	case g.t == types.Universe.Lookup("error").Type():
		return rules.Error
	case isSpecial(g.t, rules.Ref):
		return rules.Ref
	}
	if it, ok := g.t.(*types.Interface); ok && it.Empty() {
		return rules.Any
	}
	return rules.NotSpecial
}

func isSpecial(t types.Type, s rules.Special) bool {
	path, name := s.Named()
	return isNamed(t, path, name)
}

func isNamed(t types.Type, path, name string) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name &&
		n.TypeArgs().Len() == 0
}

// A method msgpack looks for, by name and signature, as
// reflect.Type.Implements would find it in the method set of T or *T.
type wantMethod struct {
	name    string
	in, out []func(types.Type) bool
}

var (
	isBytes = func(t types.Type) bool {
		s, ok := t.(*types.Slice)
		return ok && types.Identical(s.Elem(), types.Typ[types.Uint8])
	}
	isErr    = func(t types.Type) bool { return types.Unalias(t) == types.Universe.Lookup("error").Type() }
	ptrToMsg = func(name string) func(types.Type) bool {
		return func(t types.Type) bool {
			p, ok := types.Unalias(t).(*types.Pointer)
			return ok && isNamed(types.Unalias(p.Elem()), msgpackPath, name)
		}
	}
	none = []func(types.Type) bool(nil)

	// The interfaces of selfEncoding and selfDecoding in internal/iface.
	encoders = []wantMethod{
		{"EncodeMsgpack", []func(types.Type) bool{ptrToMsg("Encoder")}, []func(types.Type) bool{isErr}},
		{"MarshalMsgpack", none, []func(types.Type) bool{isBytes, isErr}},
		{"MarshalBinary", none, []func(types.Type) bool{isBytes, isErr}},
		{"MarshalText", none, []func(types.Type) bool{isBytes, isErr}},
	}
	decoders = []wantMethod{
		{"DecodeMsgpack", []func(types.Type) bool{ptrToMsg("Decoder")}, []func(types.Type) bool{isErr}},
		{"UnmarshalMsgpack", []func(types.Type) bool{isBytes}, []func(types.Type) bool{isErr}},
		{"UnmarshalBinary", []func(types.Type) bool{isBytes}, []func(types.Type) bool{isErr}},
		{"UnmarshalText", []func(types.Type) bool{isBytes}, []func(types.Type) bool{isErr}},
	}
)

func (g *gotype) SelfEncoding() bool { return g.hasAny(encoders) }
func (g *gotype) SelfDecoding() bool { return g.hasAny(decoders) }

func (g *gotype) hasAny(ms []wantMethod) bool {
	for _, t := range []types.Type{g.t, types.NewPointer(g.t)} {
		set := types.NewMethodSet(t)
		for _, m := range ms {
			if sel := set.Lookup(nil, m.name); sel != nil && matches(sel.Obj().Type().(*types.Signature), m) {
				return true
			}
		}
	}
	return false
}

func matches(sig *types.Signature, m wantMethod) bool {
	if sig.Variadic() || sig.Params().Len() != len(m.in) || sig.Results().Len() != len(m.out) {
		return false
	}
	for i, ok := range m.in {
		if !ok(sig.Params().At(i).Type()) {
			return false
		}
	}
	for i, ok := range m.out {
		if !ok(sig.Results().At(i).Type()) {
			return false
		}
	}
	return true
}

// namedName is reflect's Name of a named type: with its type arguments,
// written as the linker writes them.
func namedName(n *types.Named) string {
	name := n.Obj().Name()
	if args := n.TypeArgs(); args.Len() > 0 {
		var b strings.Builder
		w := &typeWriter{b: &b, link: true}
		b.WriteString(name + "[")
		for i := range args.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			w.write(args.At(i))
		}
		b.WriteByte(']')
		name = b.String()
	}
	return name
}

// reflectString writes t as reflect.Type.String does.
func reflectString(t types.Type, link bool) string {
	var b strings.Builder
	(&typeWriter{b: &b, link: link}).write(t)
	return b.String()
}

// typeWriter writes types in the compiler's two styles that reflect
// shows: the plain one, which qualifies names by package name, and the
// linker's, used inside type arguments, which qualifies them by path.
type typeWriter struct {
	b    *strings.Builder
	link bool
}

func (w *typeWriter) qualify(pkg *types.Package, name string) {
	if pkg != nil {
		if w.link {
			w.b.WriteString(pkg.Path() + ".")
		} else {
			w.b.WriteString(pkg.Name() + ".")
		}
	}
	w.b.WriteString(name)
}

func (w *typeWriter) write(t types.Type) {
	t = types.Unalias(t)
	switch t := t.(type) {
	case *types.Named:
		w.qualify(t.Obj().Pkg(), namedName(t))
	case *types.Basic:
		w.b.WriteString(basicKinds[t.Kind()].String())
	case *types.Pointer:
		w.b.WriteByte('*')
		w.write(t.Elem())
	case *types.Slice:
		w.b.WriteString("[]")
		w.write(t.Elem())
	case *types.Array:
		w.b.WriteString("[" + strconv.FormatInt(t.Len(), 10) + "]")
		w.write(t.Elem())
	case *types.Map:
		w.b.WriteString("map[")
		w.write(t.Key())
		w.b.WriteByte(']')
		w.write(t.Elem())
	case *types.Chan:
		switch t.Dir() {
		case types.SendRecv:
			w.b.WriteString("chan ")
			if c, ok := types.Unalias(t.Elem()).(*types.Chan); ok && c.Dir() == types.RecvOnly {
				w.b.WriteByte('(')
				w.write(t.Elem())
				w.b.WriteByte(')')
				return
			}
		case types.SendOnly:
			w.b.WriteString("chan<- ")
		case types.RecvOnly:
			w.b.WriteString("<-chan ")
		}
		w.write(t.Elem())
	case *types.Signature:
		w.b.WriteString("func")
		w.signature(t)
	case *types.Interface:
		w.iface(t)
	case *types.Struct:
		w.strct(t)
	default:
		w.b.WriteString(t.String()) // not a type a program holds
	}
}

func (w *typeWriter) signature(s *types.Signature) {
	w.b.WriteByte('(')
	for i := range s.Params().Len() {
		if i > 0 {
			w.b.WriteString(", ")
		}
		pt := s.Params().At(i).Type()
		if s.Variadic() && i == s.Params().Len()-1 {
			w.b.WriteString("...")
			pt = pt.(*types.Slice).Elem()
		}
		w.write(pt)
	}
	w.b.WriteByte(')')
	switch n := s.Results().Len(); {
	case n == 1:
		w.b.WriteByte(' ')
		w.write(s.Results().At(0).Type())
	case n > 1:
		w.b.WriteString(" (")
		for i := range n {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.write(s.Results().At(i).Type())
		}
		w.b.WriteByte(')')
	}
}

func (w *typeWriter) iface(it *types.Interface) {
	if it.NumMethods() == 0 {
		w.b.WriteString("interface {}")
		return
	}
	w.b.WriteString("interface { ")
	for i, m := range methodsInReflectOrder(it) {
		if i > 0 {
			w.b.WriteString("; ")
		}
		if m.Exported() {
			w.b.WriteString(m.Name())
		} else {
			w.qualify(m.Pkg(), m.Name())
		}
		w.signature(m.Type().(*types.Signature))
	}
	w.b.WriteString(" }")
}

func (w *typeWriter) strct(st *types.Struct) {
	if st.NumFields() == 0 {
		w.b.WriteString("struct {}")
		return
	}
	w.b.WriteString("struct { ")
	for i := range st.NumFields() {
		if i > 0 {
			w.b.WriteString("; ")
		}
		f := st.Field(i)
		switch {
		case f.Embedded() && (!w.link || f.Name() == embeddedName(f.Type())):
			// An embedded field is written as its type, unless the
			// linker must say that its name differs from the type's
			// (a generic instance, or an alias).
		case f.Exported() || !w.link:
			w.b.WriteString(f.Name() + nameSep(f))
		default:
			w.qualify(f.Pkg(), f.Name()+nameSep(f))
		}
		w.write(f.Type())
		if tag := st.Tag(i); tag != "" {
			w.b.WriteString(" " + strconv.Quote(tag))
		}
	}
	w.b.WriteString(" }")
}

func nameSep(f *types.Var) string {
	if f.Embedded() {
		return " = "
	}
	return " "
}

// embeddedName is the name the compiler gives a field that embeds t.
func embeddedName(t types.Type) string {
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	switch t := t.(type) {
	case *types.Named:
		return namedName(t)
	case *types.Basic:
		return t.Name()
	}
	return ""
}

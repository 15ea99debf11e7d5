package iface

import (
	"hash/fnv"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Interface is the method table of a remote interface.
type Interface struct {
	Type    reflect.Type // nil when built by Check
	Name    string       // the type's name, as references carry it
	Methods []*Method    // in reflect order: sorted by name
	byHash  map[uint64]*Method
	byName  map[string]*Method
	typ     Type
}

// Method is one remote method.
type Method struct {
	Index int    // position in Interface.Methods and in the type's method set
	Name  string // "Add"
	Op    string // "Calculator.Add", for errors
	Sig   string // canonical signature, what Hash is computed from
	Hash  uint64 // wire identity: name and signature
	In    []*Shape
	Out   []*Shape // results without the final error; none for a stream
	// Stream is the shape of the items of a method whose one result
	// besides error is an iter.Seq2[T, error] (see stream.go); nil for
	// other methods.
	Stream *Shape
	// Marks are what the interface declares the method may be used for
	// (SetMarks); not part of Hash.
	Marks Marks

	variadic bool
}

// sign computes the signature and hash once every shape is complete.
func (m *Method) sign() {
	var b strings.Builder
	b.WriteString(m.Name)
	b.WriteByte('(')
	for i, s := range m.In {
		if i > 0 {
			b.WriteByte(',')
		}
		s.writeSig(&b, map[*Shape]bool{})
	}
	if m.variadic {
		b.WriteString("...")
	}
	b.WriteString(")(")
	for i, s := range m.Out {
		if i > 0 {
			b.WriteByte(',')
		}
		s.writeSig(&b, map[*Shape]bool{})
	}
	if m.Stream != nil {
		b.WriteString("stream ")
		m.Stream.writeSig(&b, map[*Shape]bool{})
	}
	b.WriteByte(')')
	m.Sig = b.String()
	m.Hash = hash(m.Sig)
}

// ByHash finds a method by its wire hash.
func (it *Interface) ByHash(h uint64) *Method { return it.byHash[h] }

// ByName finds a method by name, for dynamic calls.
func (it *Interface) ByName(name string) *Method { return it.byName[name] }

var (
	tables    sync.Map // reflect.Type -> *Interface
	buildLock sync.Mutex
)

// Of returns the method table of t, or an *objerr.InterfaceError saying
// which rule t breaks.
func Of(t reflect.Type) (*Interface, error) {
	if v, ok := tables.Load(t); ok {
		return v.(*Interface), nil
	}
	// Building is rare (once per type) and may recurse through interfaces
	// that mention each other, so one lock keeps it simple.
	buildLock.Lock()
	defer buildLock.Unlock()
	b := newBuilder()
	if _, err := b.iface(rtype{t}); err != nil {
		return nil, err
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	for t, i := range b.ifaces {
		tables.LoadOrStore(reflectType(t), i)
	}
	for t, s := range b.shapes {
		shapes.LoadOrStore(reflectType(t), s)
	}
	v, _ := tables.Load(t)
	return v.(*Interface), nil
}

// Check applies the rules of Of to a type described by another source
// (cmd/objstub's go/types), and returns the error Of would return for
// the same type. Nothing is cached: the tables it builds are not usable
// for calls.
func Check(t Type, marks map[string]Marks) error {
	b := newBuilder()
	b.marks = marks
	if _, err := b.iface(t); err != nil {
		return err
	}
	return b.finish()
}

// For is Of for a type parameter.
func For[T any]() (*Interface, error) { return Of(reflect.TypeFor[T]()) }

// builder holds the tables under construction, so that types which refer
// to each other (an interface whose method returns itself) terminate.
type builder struct {
	ifaces map[Type]*Interface
	shapes map[Type]*Shape
	// marks are the marks of the interface Check was given; reflect
	// types have theirs declared (SetMarks).
	marks map[string]Marks
}

func newBuilder() *builder {
	return &builder{ifaces: map[Type]*Interface{}, shapes: map[Type]*Shape{}}
}

func (b *builder) iface(t Type) (*Interface, error) {
	if rt := reflectType(t); rt != nil {
		if v, ok := tables.Load(rt); ok {
			return v.(*Interface), nil
		}
	}
	if it, ok := b.ifaces[t]; ok {
		return it, nil
	}
	name := t.String()
	if t.Kind() != reflect.Interface {
		return nil, &objerr.InterfaceError{Interface: name, Rule: "a remote interface must be an interface type",
			Hint: "export the object as its interface, e.g. remote.Export[Calculator](rt, impl)"}
	}
	if t.Name() == "" {
		return nil, &objerr.InterfaceError{Interface: name, Rule: "a remote interface must be a named type",
			Hint: "declare it: type Calculator interface { ... }"}
	}
	if t.NumMethod() == 0 {
		return nil, &objerr.InterfaceError{Interface: name, Rule: "a remote interface needs at least one method"}
	}
	marks, err := marksOf(t)
	if err != nil {
		return nil, err
	}
	if marks == nil && len(b.ifaces) == 0 {
		marks = b.marks // the interface Check was given, not one it mentions
	}
	it := &Interface{Type: reflectType(t), Name: t.Name(), byHash: map[uint64]*Method{}, byName: map[string]*Method{}, typ: t}
	b.ifaces[t] = it
	for i := range t.NumMethod() {
		m, err := b.method(it, t.Method(i), marks[t.Method(i).Name])
		if err != nil {
			delete(b.ifaces, t)
			return nil, err
		}
		m.Index = i
		it.Methods = append(it.Methods, m)
		it.byName[m.Name] = m
	}
	for name := range marks {
		if it.byName[name] == nil {
			delete(b.ifaces, t)
			return nil, &objerr.InterfaceError{Interface: t.String(), Method: name,
				Rule: "marks are declared for a method the interface does not have",
				Hint: "check the method's name in the marks"}
		}
	}
	return it, nil
}

func (b *builder) method(it *Interface, rm TypeMethod, marks Marks) (*Method, error) {
	ft := rm.Type
	m := &Method{Name: rm.Name, Op: it.Name + "." + rm.Name, Marks: marks}
	fail := func(rule, hint string) error {
		return &objerr.InterfaceError{Interface: it.typ.String(), Method: rm.Name, Rule: rule, Hint: hint}
	}
	if !rm.Exported {
		return nil, fail("the method is unexported", "remote methods must be exported")
	}
	if ft.NumIn() == 0 || ft.In(0).Special() != Context {
		return nil, fail("the first parameter must be context.Context",
			"write "+rm.Name+"(ctx context.Context, ...)")
	}
	if ft.NumOut() == 0 || ft.Out(ft.NumOut()-1).Special() != Error {
		return nil, fail("the last result must be error",
			"remote calls can fail; return (..., error)")
	}
	for i := 1; i < ft.NumIn(); i++ {
		s, err := b.shape(ft.In(i))
		if err != nil {
			return nil, fail("parameter "+itoa(i)+" ("+ft.In(i).String()+") cannot cross the wire: "+err.Error(), hintFor(err))
		}
		m.In = append(m.In, s)
	}
	for i := 0; i < ft.NumOut()-1; i++ {
		if iterOf(ft.Out(i)) != "" {
			item, rule, hint := b.stream(ft.Out(i), ft.NumOut()-1)
			if rule != "" {
				return nil, fail(rule, hint)
			}
			m.Stream = item
			continue
		}
		s, err := b.shape(ft.Out(i))
		if err != nil {
			return nil, fail("result "+itoa(i)+" ("+ft.Out(i).String()+") cannot cross the wire: "+err.Error(), hintFor(err))
		}
		m.Out = append(m.Out, s)
	}
	m.variadic = ft.IsVariadic()
	if rule, hint := checkMarks(rm.Name, marks, ft); rule != "" {
		return nil, fail(rule, hint)
	}
	return m, nil
}

const shapeHint = "use values (numbers, strings, slices, maps, structs of these) or remote interfaces"

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	// 0 on the wire means "dynamic call by name", and wire.ProbeMethod a
	// probe: no method may hash to either.
	v := h.Sum64()
	if v <= wire.ProbeMethod {
		v += 2
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }

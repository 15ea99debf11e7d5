package main

import (
	"go/ast"
	"slices"
	"strings"
)

// iface is a remote interface as read from its declaration.
type iface struct {
	name    string
	file    *ast.File // the declaring file, whose imports qualify its types
	methods []*method // sorted by name: the index Stub.Invoke takes
}

// method is one method of an iface, with grouped parameters expanded.
type method struct {
	name    string
	ctx     ast.Expr   // type of the first parameter, checked to be context.Context
	params  []ast.Expr // types of the other parameters
	names   []string   // their source names; "" when unnamed
	results []ast.Expr // result types without the final error
}

// readIface reads and checks the interface called name. It enforces the
// rules of a remote interface that can be seen in the syntax, so that a
// mistake is reported by go generate rather than by a panic at init.
func (p *pkg) readIface(name string) (*iface, error) {
	ts, file, err := p.lookup(name)
	if err != nil {
		return nil, err
	}
	if ts.Assign.IsValid() {
		return nil, p.errorf(ts.Pos(), "%s is an alias; run objstub on the interface it names", name)
	}
	if ts.TypeParams != nil {
		return nil, p.errorf(ts.Pos(), "%s is generic; objstub does not support type parameters", name)
	}
	it, ok := ts.Type.(*ast.InterfaceType)
	if !ok {
		return nil, p.errorf(ts.Pos(), "%s is not an interface type; declare it as type %s interface { ... }", name, name)
	}
	ctxNames, err := p.contextNames(name, file)
	if err != nil {
		return nil, err
	}
	r := &iface{name: name, file: file}
	seen := map[string]bool{}
	for _, f := range it.Methods.List {
		if len(f.Names) == 0 {
			return nil, p.errorf(f.Pos(), "%s embeds %s: embedded interfaces are not supported yet by objstub; list the methods in %s explicitly",
				name, p.expr(f.Type), name)
		}
		m, err := p.readMethod(name, f.Names[0], f.Type.(*ast.FuncType), ctxNames)
		if err != nil {
			return nil, err
		}
		if seen[m.name] {
			return nil, p.errorf(f.Pos(), "%s.%s is declared twice", name, m.name)
		}
		seen[m.name] = true
		r.methods = append(r.methods, m)
	}
	if len(r.methods) == 0 {
		return nil, p.errorf(ts.Pos(), "%s has no methods; a remote interface needs at least one", name)
	}
	// reflect numbers the methods of an interface in byte order of their
	// names, and so does the runtime's method table.
	slices.SortFunc(r.methods, func(a, b *method) int { return strings.Compare(a.name, b.name) })
	return r, nil
}

// contextNames are the names under which file imports "context".
func (p *pkg) contextNames(ifaceName string, file *ast.File) (map[string]bool, error) {
	names := map[string]bool{}
	imps, err := p.fileImports(ifaceName, file)
	if err != nil {
		return nil, err
	}
	for local, imp := range imps {
		if imp.path == "context" {
			names[local] = true
		}
	}
	return names, nil
}

func (p *pkg) readMethod(ifaceName string, id *ast.Ident, ft *ast.FuncType, ctxNames map[string]bool) (*method, error) {
	m := &method{name: id.Name}
	op := ifaceName + "." + id.Name
	if !id.IsExported() {
		return nil, p.errorf(id.Pos(), "%s is unexported; remote methods must be exported", op)
	}
	for _, f := range ft.Params.List {
		n := max(len(f.Names), 1)
		for i := range n {
			name := ""
			if i < len(f.Names) && f.Names[i].Name != "_" {
				name = f.Names[i].Name
			}
			if m.ctx == nil {
				m.ctx = f.Type
				continue
			}
			m.params = append(m.params, f.Type)
			m.names = append(m.names, name)
		}
	}
	if !isContext(m.ctx, ctxNames) {
		return nil, p.errorf(id.Pos(), "%s: the first parameter must be context.Context; write %s(ctx context.Context, ...)", op, id.Name)
	}
	if ft.Results != nil {
		for _, f := range ft.Results.List {
			for range max(len(f.Names), 1) {
				m.results = append(m.results, f.Type)
			}
		}
	}
	if len(m.results) == 0 || !isError(m.results[len(m.results)-1]) {
		return nil, p.errorf(id.Pos(), "%s: the last result must be error; remote calls can fail, so return (..., error)", op)
	}
	m.results = m.results[:len(m.results)-1]
	return m, nil
}

func isContext(e ast.Expr, ctxNames map[string]bool) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Context" {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && ctxNames[x.Name]
}

func isError(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "error"
}

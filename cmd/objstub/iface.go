package main

import (
	"go/ast"
	"go/token"
	"slices"
	"strings"

	rules "github.com/objrmi/objrmi/internal/iface"
)

// iface is a remote interface as read from its declaration.
type iface struct {
	name    string
	pos     token.Pos
	file    *ast.File // the declaring file, whose imports qualify its types
	methods []*method // sorted by name: the index Stub.Invoke takes
}

// method is one method of an iface, with grouped parameters expanded.
// Until split, params and results are all of them; after, ctx is the
// first parameter and the final error is gone.
type method struct {
	name    string
	pos     token.Pos
	ctx     ast.Expr    // type of the first parameter, checked to be context.Context
	params  []ast.Expr  // types of the other parameters
	names   []string    // their source names; "" when unnamed
	results []ast.Expr  // result types without the final error
	marks   rules.Marks // from //objrmi: directives above the method

	resultNames []string // the results' source names; "" when unnamed
}

// readIface reads the declaration of the interface called name and
// checks what objstub needs of it. The rules of a remote interface are
// checked on types, by checkRules, once the package is type-checked.
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
	r := &iface{name: name, pos: ts.Pos(), file: file}
	seen := map[string]bool{}
	for _, f := range it.Methods.List {
		if len(f.Names) == 0 {
			return nil, p.errorf(f.Pos(), "%s embeds %s: embedded interfaces are not supported yet by objstub; list the methods in %s explicitly",
				name, p.expr(f.Type), name)
		}
		m := readMethod(f.Names[0], f.Type.(*ast.FuncType))
		if m.marks, err = p.readMarks(name, m.name, f.Doc); err != nil {
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

// readMarks reads the //objrmi: directives in a method's doc comment.
func (p *pkg) readMarks(iface, method string, doc *ast.CommentGroup) (rules.Marks, error) {
	if doc == nil {
		return 0, nil
	}
	var marks rules.Marks
	for _, c := range doc.List {
		word, ok := strings.CutPrefix(c.Text, rules.MarkDirective)
		if !ok {
			continue
		}
		m, err := rules.ParseMark(strings.TrimSpace(word))
		if err != nil {
			return 0, p.errorf(c.Pos(), "%s.%s: %v", iface, method, err)
		}
		marks |= m
	}
	return marks, nil
}

// markSpecs writes an interface's marks as stub.Register takes them.
func (it *iface) markSpecs() []string {
	var specs []string
	for _, m := range it.methods {
		if m.marks != 0 {
			specs = append(specs, m.name+":"+m.marks.String())
		}
	}
	return specs
}

func readMethod(id *ast.Ident, ft *ast.FuncType) *method {
	m := &method{name: id.Name, pos: id.Pos()}
	for _, f := range ft.Params.List {
		for i := range max(len(f.Names), 1) {
			name := ""
			if i < len(f.Names) && f.Names[i].Name != "_" {
				name = f.Names[i].Name
			}
			m.params = append(m.params, f.Type)
			m.names = append(m.names, name)
		}
	}
	if ft.Results != nil {
		for _, f := range ft.Results.List {
			for i := range max(len(f.Names), 1) {
				m.results = append(m.results, f.Type)
				name := ""
				if i < len(f.Names) {
					name = f.Names[i].Name
				}
				m.resultNames = append(m.resultNames, name)
			}
		}
	}
	return m
}

// split takes the context and the final error out of the signature,
// which checkRules found to be there.
func (m *method) split() {
	m.ctx, m.params, m.names = m.params[0], m.params[1:], m.names[1:]
	m.results = m.results[:len(m.results)-1]
	m.resultNames = m.resultNames[:len(m.resultNames)-1]
}

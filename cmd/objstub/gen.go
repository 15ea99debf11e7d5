package main

import (
	"bytes"
	"fmt"
	"go/format"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const stubPath = "github.com/objrmi/objrmi/stub"

// generate returns the shells of the named interfaces of the package in
// dir, and their async companions, as one gofmt'ed Go file.
func generate(dir string, types []string) ([]byte, error) {
	return generateAsync(dir, types, true)
}

// generateAsync is generate, with or without the async companions.
func generateAsync(dir string, types []string, async bool) ([]byte, error) {
	p, err := load(dir)
	if err != nil {
		return nil, err
	}
	p.noAsync = !async
	return p.generate(types)
}

func (p *pkg) generate(types []string) ([]byte, error) {
	var ifaces []*iface
	for _, name := range types {
		it, err := p.readIface(name)
		if err != nil {
			return nil, err
		}
		ifaces = append(ifaces, it)
	}
	imports, err := p.imports(ifaces)
	if err != nil {
		return nil, err
	}
	// What the syntax shows is checked above, with objstub's own
	// messages; the rules of a remote interface are checked on types,
	// by the code Export runs, so that a shell is generated only for an
	// interface that Export and stub.Register accept.
	p.generated = generatedNames(ifaces, !p.noAsync)
	tpkg, err := p.checked()
	if err != nil {
		return nil, err
	}
	conv := newTypeConv()
	for _, it := range ifaces {
		if err := p.checkRules(tpkg, conv, it); err != nil {
			return nil, err
		}
		for _, m := range it.methods {
			m.split()
		}
	}
	stubName := pickStubName(p, imports)
	imports[stubName] = imp{path: stubPath, explicit: stubName != "stub"}

	g := &gen{pkg: p, stub: stubName}
	shells := map[string]string{}
	for _, it := range ifaces {
		shell := shellName(it.name)
		if p.decls[shell] || imports[shell].path != "" {
			return nil, fmt.Errorf("%s: the shell type %s would clash with %s declared in package %s; rename it", it.name, shell, shell, p.name)
		}
		if other, ok := shells[shell]; ok {
			return nil, fmt.Errorf("%s and %s would both get the shell type %s; rename one of them", other, it.name, shell)
		}
		shells[shell] = it.name
		if server := serverName(it.name); p.decls[server] || imports[server].path != "" {
			return nil, fmt.Errorf("%s: the server function %s would clash with %s declared in package %s; rename it", it.name, server, server, p.name)
		}
		for _, m := range it.methods {
			if m.name == "Stub" {
				return nil, fmt.Errorf("%s.Stub: a method named Stub clashes with the *stub.Stub the shell embeds; rename it", it.name)
			}
		}
		if !p.noAsync {
			if err := p.checkAsyncNames(it, imports, shells); err != nil {
				return nil, err
			}
		}
	}

	g.header(imports)
	g.printf("func init() {\n")
	for _, it := range ifaces {
		g.printf("%s.Register[%s](func(s *%s.Stub) %s { return %s{s} }", stubName, it.name, stubName, it.name, shellName(it.name))
		for _, spec := range it.markSpecs() {
			g.printf(",\n%q", spec)
		}
		g.printf(")\n")
		if len(it.methods) > 0 {
			g.printf("%s.RegisterServer[%s](%s", stubName, it.name, serverName(it.name))
			for _, m := range it.methods {
				g.printf(", %q", m.name)
			}
			g.printf(")\n")
		}
	}
	g.printf("}\n")
	for _, it := range ifaces {
		g.shell(it)
		g.server(it)
		if !p.noAsync {
			g.async(it)
		}
	}
	src, err := format.Source(g.buf.Bytes())
	if err != nil {
		// A bug in objstub, not in the input: show what it wrote.
		return nil, fmt.Errorf("formatting the output: %v\n%s", err, g.buf.Bytes())
	}
	return src, nil
}

// imports resolves the package qualifiers in the methods of ifaces to the
// imports of the files that declare them, keyed by local name.
func (p *pkg) imports(ifaces []*iface) (map[string]imp, error) {
	out := map[string]imp{}
	from := map[string]string{} // local name -> interface, for errors
	for _, it := range ifaces {
		imps, err := p.fileImports(it.name, it.file)
		if err != nil {
			return nil, err
		}
		for _, m := range it.methods {
			// Before split: the context is among the parameters.
			for _, q := range qualifiers(slices.Concat(m.params, m.results)...) {
				im, ok := imps[q.Name]
				if !ok {
					return nil, p.errorf(q.Pos(), "%s.%s: no import in this file provides package %s; if its package name differs from its import path, import it with an explicit name",
						it.name, m.name, q.Name)
				}
				if prev, ok := out[q.Name]; ok && prev.path != im.path {
					return nil, p.errorf(q.Pos(), "%s.%s: %s names %q here but %q in the file of %s; the shells share one file, so use distinct import names",
						it.name, m.name, q.Name, im.path, prev.path, from[q.Name])
				}
				out[q.Name], from[q.Name] = im, it.name
			}
		}
	}
	return out, nil
}

// pickStubName avoids a clash of the stub import with the user's package
// name, its package-level names and the other imports of the output.
func pickStubName(p *pkg, imports map[string]imp) string {
	for local, im := range imports {
		if im.path == stubPath {
			return local
		}
	}
	for i := 0; ; i++ {
		name := "stub"
		if i > 0 {
			name = "objrmistub"
		}
		if i > 1 {
			name += strconv.Itoa(i)
		}
		if name != p.name && !p.decls[name] && imports[name].path == "" {
			return name
		}
	}
}

// shellName is the unexported type that implements the interface name.
func shellName(name string) string {
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToLower(r)) + name[n:] + "Stub"
}

type gen struct {
	*pkg
	stub string // local name of the stub package
	buf  bytes.Buffer
}

func (g *gen) printf(format string, args ...any) { fmt.Fprintf(&g.buf, format, args...) }

func (g *gen) header(imports map[string]imp) {
	g.printf("// Code generated by objstub. DO NOT EDIT.\n\npackage %s\n\nimport (\n", g.name)
	locals := make([]string, 0, len(imports))
	for local := range imports {
		locals = append(locals, local)
	}
	// The standard library first, then the rest, as goimports groups them.
	slices.SortFunc(locals, func(a, b string) int {
		ia, ib := imports[a], imports[b]
		if sa, sb := isStd(ia.path), isStd(ib.path); sa != sb {
			if sa {
				return -1
			}
			return 1
		}
		if c := strings.Compare(ia.path, ib.path); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	for i, local := range locals {
		im := imports[local]
		if i > 0 && isStd(imports[locals[i-1]].path) && !isStd(im.path) {
			g.printf("\n")
		}
		if im.explicit {
			g.printf("%s ", local)
		}
		g.printf("%q\n", im.path)
	}
	g.printf(")\n")
}

// isStd reports whether an import path is in the standard library, whose
// paths have no dot in their first element.
func isStd(ipath string) bool {
	first, _, _ := strings.Cut(ipath, "/")
	return !strings.Contains(first, ".")
}

func (g *gen) shell(it *iface) {
	shell := shellName(it.name)
	g.printf("\n// %s is the client shell of %s: each method forwards to stub.Stub.Invoke.\n", shell, it.name)
	g.printf("type %s struct{ *%s.Stub }\n\nvar _ %s = %s{}\n", shell, g.stub, it.name, shell)
	// A method of the interface named Invoke hides the promoted one.
	invoke := "s.Invoke"
	if slices.ContainsFunc(it.methods, func(m *method) bool { return m.name == "Invoke" }) {
		invoke = "s.Stub.Invoke"
	}
	for i, m := range it.methods {
		g.method(shell, invoke, i, m)
	}
}

func (g *gen) method(shell, invoke string, index int, m *method) {
	names := paramNames(m)
	params := []string{"ctx " + g.expr(m.ctx)}
	for i, t := range m.params {
		params = append(params, names[i]+" "+g.expr(t))
	}
	results := make([]string, 0, len(m.results)+1)
	for _, t := range m.results {
		results = append(results, g.expr(t))
	}
	results = append(results, "error")
	sig := strings.Join(results, ", ")
	if len(results) > 1 {
		sig = "(" + sig + ")"
	}
	g.printf("\nfunc (s %s) %s(%s) %s {\n", shell, m.name, strings.Join(params, ", "), sig)

	args := "nil"
	if len(names) > 0 {
		args = "[]any{" + strings.Join(names, ", ") + "}"
	}
	if len(m.results) == 0 {
		g.printf("return %s(ctx, %d, %s, nil)\n}\n", invoke, index, args)
		return
	}
	var ptrs, vals []string
	for i, t := range m.results {
		r := "r" + strconv.Itoa(i)
		g.printf("var %s %s\n", r, g.expr(t))
		ptrs = append(ptrs, "&"+r)
		vals = append(vals, r)
	}
	g.printf("err := %s(ctx, %d, %s, []any{%s})\n", invoke, index, args, strings.Join(ptrs, ", "))
	g.printf("return %s, err\n}\n", strings.Join(vals, ", "))
}

// paramNames names the parameters after ctx: the source name when it is
// safe in the generated body, else aN by position. Unsafe are the names
// the body itself uses (the receiver s, ctx, err, rN, any, nil), aN (which
// could repeat a positional name) and any identifier in a result type,
// which a parameter of that name would hide in "var r0 T".
func paramNames(m *method) []string {
	used := identNames(m.results...)
	names := make([]string, len(m.params))
	for i, n := range m.names {
		switch {
		case n == "" || used[n] || isNumbered(n, 'a') || isNumbered(n, 'r'):
			n = "a" + strconv.Itoa(i)
		case n == "s" || n == "ctx" || n == "err" || n == "any" || n == "nil":
			n = "a" + strconv.Itoa(i)
		}
		names[i] = n
	}
	return names
}

// isNumbered reports whether name is the letter followed by digits.
func isNumbered(name string, letter byte) bool {
	if len(name) < 2 || name[0] != letter {
		return false
	}
	_, err := strconv.ParseUint(name[1:], 10, 64)
	return err == nil
}

package main

import (
	"fmt"
	"go/ast"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The async companion of an interface Xxx: an interface XxxAsync with the
// same methods, each returning a *stub.Future of its results, and
// AsyncXxx(Xxx) XxxAsync. On a generated shell it calls
// stub.InvokeAsync, which writes the call and waits on nothing; on a
// local object, stub.Go. A method with several results gets a struct of
// them, XxxMethodResult; one with none, struct{}.

// asyncNames are the names the companion of one interface declares.
type asyncNames struct {
	iface, ctor   string // XxxAsync, AsyncXxx (unexported for an unexported Xxx)
	onStub, local string // the two implementations
	results       map[string]string
}

func newAsyncNames(it *iface) asyncNames {
	n := asyncNames{iface: it.name + "Async", onStub: lowerFirst(it.name) + "AsyncStub",
		local: lowerFirst(it.name) + "AsyncLocal", results: map[string]string{}}
	if exported(it.name) {
		n.ctor = "Async" + it.name
	} else {
		n.ctor = "async" + upperFirst(it.name)
	}
	for _, m := range it.methods {
		if len(m.results) > 1 {
			n.results[m.name] = it.name + m.name + "Result"
		}
	}
	return n
}

// all lists the names, for the clash checks.
func (n asyncNames) all() []string {
	names := []string{n.iface, n.ctor, n.onStub, n.local}
	for _, r := range n.results {
		names = append(names, r)
	}
	return names
}

func exported(name string) bool {
	r, _ := utf8.DecodeRuneInString(name)
	return unicode.IsUpper(r)
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// async writes the companion of it.
func (g *gen) async(it *iface) {
	n := newAsyncNames(it)
	g.printf("\n// %s is the async form of %s: each method starts its call\n", n.iface, it.name)
	g.printf("// and returns the future of its results. See %s.\n", n.ctor)
	g.printf("type %s interface {\n", n.iface)
	for _, m := range it.methods {
		g.printf("%s(%s) *%s.Future[%s]\n", m.name, strings.Join(g.asyncParams(m, n), ", "), g.stub, g.resultType(m, n))
	}
	g.printf("}\n")
	for _, m := range it.methods {
		if name, ok := n.results[m.name]; ok {
			g.printf("\n// %s holds the results of %s.%s.\n", name, it.name, m.name)
			g.printf("type %s struct {\n", name)
			for i, f := range resultFields(m) {
				g.printf("%s %s\n", f, g.expr(m.results[i]))
			}
			g.printf("}\n")
		}
	}

	g.printf("\n// %s returns the async form of v: on a stub, each call is\n", n.ctor)
	g.printf("// written on the caller's goroutine and waits on none; on a local\n")
	g.printf("// object, each runs on a goroutine of its own.\n")
	g.printf("func %s(v %s) %s {\n", n.ctor, it.name, n.iface)
	g.printf("if s, ok := v.(%s); ok {\nreturn %s{s.Stub}\n}\n", shellName(it.name), n.onStub)
	g.printf("return %s{v}\n}\n", n.local)

	g.printf("\n// %s is the async form of %s.\n", n.onStub, shellName(it.name))
	g.printf("type %s struct{ *%s.Stub }\n\nvar _ %s = %s{}\n", n.onStub, g.stub, n.iface, n.onStub)
	for i, m := range it.methods {
		names := g.asyncParamNames(m, n)
		args := "nil"
		if len(names) > 0 {
			args = "[]any{" + strings.Join(names, ", ") + "}"
		}
		results := "nil"
		if name, ok := n.results[m.name]; ok {
			var ptrs []string
			for _, f := range resultFields(m) {
				ptrs = append(ptrs, "&r."+f)
			}
			results = fmt.Sprintf("func(r *%s) []any { return []any{%s} }", name, strings.Join(ptrs, ", "))
		}
		g.printf("\nfunc (s %s) %s(%s) *%s.Future[%s] {\n", n.onStub, m.name, strings.Join(g.asyncParams(m, n), ", "), g.stub, g.resultType(m, n))
		g.printf("return %s.InvokeAsync[%s](ctx, s.Stub, %d, %s, %s)\n}\n", g.stub, g.resultType(m, n), i, args, results)
	}

	g.printf("\n// %s is the async form of a local %s.\n", n.local, it.name)
	g.printf("type %s struct{ x %s }\n\nvar _ %s = %s{}\n", n.local, it.name, n.iface, n.local)
	for _, m := range it.methods {
		names := g.asyncParamNames(m, n)
		call := make([]string, 0, len(names)+1)
		call = append(call, "ctx")
		call = append(call, names...)
		if len(m.params) > 0 {
			if _, ok := m.params[len(m.params)-1].(*ast.Ellipsis); ok {
				call[len(call)-1] += "..."
			}
		}
		res := g.resultType(m, n)
		g.printf("\nfunc (s %s) %s(%s) *%s.Future[%s] {\n", n.local, m.name, strings.Join(g.asyncParams(m, n), ", "), g.stub, res)
		invoke := fmt.Sprintf("s.x.%s(%s)", m.name, strings.Join(call, ", "))
		ctxType := g.expr(m.ctx)
		switch len(m.results) {
		case 0:
			g.printf("return %s.Go(ctx, func(ctx %s) (struct{}, error) { return struct{}{}, %s })\n}\n", g.stub, ctxType, invoke)
		case 1:
			g.printf("return %s.Go(ctx, func(ctx %s) (%s, error) { return %s })\n}\n", g.stub, ctxType, res, invoke)
		default:
			var fields []string
			for _, f := range resultFields(m) {
				fields = append(fields, "r."+f)
			}
			g.printf("return %s.Go(ctx, func(ctx %s) (r %s, err error) {\n", g.stub, ctxType, res)
			g.printf("%s, err = %s\nreturn r, err\n})\n}\n", strings.Join(fields, ", "), invoke)
		}
	}
}

// resultType is T in the *stub.Future[T] a method returns.
func (g *gen) resultType(m *method, n asyncNames) string {
	switch len(m.results) {
	case 0:
		return "struct{}"
	case 1:
		return g.expr(m.results[0])
	}
	return n.results[m.name]
}

// resultFields names the fields of a method's result struct: its named
// results, exported, or R0, R1... when any is unnamed or two would be
// the same.
func resultFields(m *method) []string {
	fields := make([]string, len(m.results))
	seen := map[string]bool{}
	for i, name := range m.resultNames {
		f := upperFirst(name)
		if name == "" || name == "_" || seen[f] {
			for i := range fields {
				fields[i] = "R" + strconv.Itoa(i)
			}
			return fields
		}
		seen[f] = true
		fields[i] = f
	}
	return fields
}

// asyncParams is the parameter list of an async method.
func (g *gen) asyncParams(m *method, n asyncNames) []string {
	names := g.asyncParamNames(m, n)
	params := []string{"ctx " + g.expr(m.ctx)}
	for i, t := range m.params {
		params = append(params, names[i]+" "+g.expr(t))
	}
	return params
}

// asyncParamNames are paramNames, but safe in the async bodies too,
// which also name the stub package, the context's package, the result
// struct and a result variable r.
func (g *gen) asyncParamNames(m *method, n asyncNames) []string {
	names := paramNames(m)
	unsafe := identNames(m.ctx)
	unsafe[g.stub], unsafe["r"] = true, true
	if name, ok := n.results[m.name]; ok {
		unsafe[name] = true
	}
	for i, name := range names {
		if unsafe[name] {
			names[i] = "a" + strconv.Itoa(i)
		}
	}
	return names
}

// checkAsyncNames refuses a companion whose names clash with the
// package's, an import's, or another generated name (names maps each
// name generated so far to its interface).
func (p *pkg) checkAsyncNames(it *iface, imports map[string]imp, names map[string]string) error {
	for _, name := range newAsyncNames(it).all() {
		if p.decls[name] || imports[name].path != "" {
			return fmt.Errorf("%s: the async companion's name %s would clash with %s declared in package %s; rename it, or run objstub with -async=false",
				it.name, name, name, p.name)
		}
		if other, ok := names[name]; ok {
			return fmt.Errorf("%s and %s would both declare %s; rename one of them, or run objstub with -async=false", other, it.name, name)
		}
		names[name] = it.name
	}
	return nil
}

// generatedNames are the package-level names the output for ifaces
// declares (read before the signatures are split): each shell, and with
// async, each companion's names and a result struct for every method,
// whether it has several results or not.
func generatedNames(ifaces []*iface, async bool) map[string]bool {
	names := map[string]bool{}
	for _, it := range ifaces {
		names[shellName(it.name)] = true
		if !async {
			continue
		}
		n := newAsyncNames(it)
		for _, name := range []string{n.iface, n.ctor, n.onStub, n.local} {
			names[name] = true
		}
		for _, m := range it.methods {
			names[it.name+m.name+"Result"] = true
		}
	}
	return names
}

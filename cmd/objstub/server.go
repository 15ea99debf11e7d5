package main

import (
	"go/ast"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// serverName is the unexported function that serves calls to an object
// of the interface name without reflection.
func serverName(name string) string {
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToLower(r)) + name[n:] + "Server"
}

// server writes the function that stub.RegisterServer records for it:
// a switch on the method called that decodes each argument into a typed
// variable (stub.Arg), calls the method on the object directly and
// encodes its results (stub.Result). The runtime calls it in place of
// reflect.Value.Call; it keeps the checks, limits and panic handling.
func (g *gen) server(it *iface) {
	if len(it.methods) == 0 {
		return
	}
	// The function's own names must not hide a name the types use.
	var types []ast.Expr
	for _, m := range it.methods {
		types = append(types, m.params...)
		types = append(types, m.results...)
	}
	used := identNames(types...)
	safe := func(name string) string {
		for used[name] {
			name += "_"
		}
		return name
	}
	ctx, obj, c, err := safe("ctx"), safe("obj"), safe("c"), safe("err")
	g.printf("\n// %s serves a call to obj, an object exported as %s, without reflection.\n", serverName(it.name), it.name)
	g.printf("func %s(%s %s, %s %s, %s *%s.ServerCall) bool {\n", serverName(it.name), ctx, g.expr(it.methods[0].ctx), obj, it.name, c, g.stub)
	g.printf("switch %s.Method() {\n", c)
	for i, m := range it.methods {
		g.printf("case %d:\n", i)
		var args []string
		for j, t := range m.params {
			a := safe("a" + strconv.Itoa(j))
			typ := g.expr(t)
			call := a
			if el, ok := t.(*ast.Ellipsis); ok {
				typ = "[]" + g.expr(el.Elt)
				call += "..."
			}
			g.printf("%s := %s.Arg[%s](%s)\n", a, g.stub, typ, c)
			args = append(args, call)
		}
		g.printf("if !%s.Run() {\nreturn true\n}\n", c)
		var rs []string
		for j := range m.results {
			rs = append(rs, safe("r"+strconv.Itoa(j)))
		}
		g.printf("%s := %s.%s(%s)\n", strings.Join(append(rs, err), ", "), obj, m.name, strings.Join(append([]string{ctx}, args...), ", "))
		if len(rs) == 0 {
			g.printf("%s.Return(%s)\n", c, err)
			continue
		}
		g.printf("if %s.Return(%s) {\n", c, err)
		for _, r := range rs {
			g.printf("%s.Result(%s, %s)\n", g.stub, c, r)
		}
		g.printf("}\n")
	}
	g.printf("default:\nreturn false\n}\nreturn true\n}\n")
}

package main

import (
	"fmt"
	"go/ast"
	"go/printer"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// imp is one import of a source file.
type imp struct {
	path     string
	explicit bool // the source names it, so the output names it too
}

// fileImports maps the local names of file's imports to them.
func (p *pkg) fileImports(ifaceName string, file *ast.File) (map[string]imp, error) {
	imps := map[string]imp{}
	for _, s := range file.Imports {
		ipath, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			return nil, p.errorf(s.Pos(), "bad import path %s", s.Path.Value)
		}
		switch {
		case s.Name == nil:
			imps[assumedName(ipath)] = imp{path: ipath}
		case s.Name.Name == "_":
		case s.Name.Name == ".":
			// The unqualified names the interface uses might come from
			// this package or from the dot import; only type checking
			// could tell, and objstub reads syntax only.
			return nil, p.errorf(s.Pos(), "%s is declared in a file with a dot import of %s, which objstub does not support; import it by name",
				ifaceName, s.Path.Value)
		default:
			imps[s.Name.Name] = imp{path: ipath, explicit: true}
		}
	}
	return imps, nil
}

// assumedName guesses the package name of an import path with no
// explicit name, as goimports does: the last element, skipping a /vN
// major version, without a "go-" prefix and cut at the first character
// that cannot be in an identifier ("yaml.v3" is yaml, "foo-go" is foo).
// Packages named otherwise must be imported with an explicit name.
func assumedName(ipath string) string {
	base := path.Base(ipath)
	if len(base) > 1 && base[0] == 'v' {
		if _, err := strconv.Atoi(base[1:]); err == nil && path.Dir(ipath) != "." {
			base = path.Base(path.Dir(ipath))
		}
	}
	base = strings.TrimPrefix(base, "go-")
	if i := strings.IndexFunc(base, func(r rune) bool {
		return r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}); i >= 0 {
		base = base[:i]
	}
	return base
}

// qualifiers are the package names that the type expressions refer to.
func qualifiers(exprs ...ast.Expr) []*ast.Ident {
	var ids []*ast.Ident
	for _, e := range exprs {
		ast.Inspect(e, func(n ast.Node) bool {
			// In a type, a selector on a plain identifier is always a
			// qualified identifier: pkg.Name.
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok {
					ids = append(ids, x)
				}
				return false
			}
			return true
		})
	}
	return ids
}

// identNames are all the identifiers in the expressions.
func identNames(exprs ...ast.Expr) map[string]bool {
	names := map[string]bool{}
	for _, e := range exprs {
		ast.Inspect(e, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				names[id.Name] = true
			}
			return true
		})
	}
	return names
}

// expr prints a type as the source writes it, struct tags included.
func (p *pkg) expr(e ast.Expr) string {
	var b strings.Builder
	if err := printer.Fprint(&b, p.fset, e); err != nil {
		panic(fmt.Sprintf("printing to a strings.Builder: %v", err)) // cannot fail
	}
	return b.String()
}

package main

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
)

// pkg is the parsed package that declares the interfaces.
type pkg struct {
	name  string
	dir   string
	fset  *token.FileSet
	files []*ast.File
	// decls are the package-level identifiers, which the generated names
	// must not collide with.
	decls map[string]bool
	// noAsync leaves out the async companions (-async=false).
	noAsync bool
	// generated are the names the output declares, which the package's
	// own files may use (AsyncXxx): the type check does without them.
	generated map[string]bool

	typed    *types.Package // once checked
	typedErr error
}

// load parses the files that make up the package in dir. Generated files
// are skipped so that a stale or broken previous output cannot stop the
// next run, and tests because they may belong to another package.
func load(dir string) (*pkg, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	p := &pkg{dir: dir, fset: token.NewFileSet(), decls: map[string]bool{}}
	for _, e := range entries { // ReadDir sorts by name, keeping runs deterministic
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") ||
			strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_objstub.go") {
			continue
		}
		// Build constraints decide which files form the package: files for
		// other platforms, or tools marked //go:build ignore, may redeclare
		// types or be another package.
		if ok, err := build.Default.MatchFile(dir, name); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		f, err := parser.ParseFile(p.fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution|parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if p.name == "" {
			p.name = f.Name.Name
		} else if f.Name.Name != p.name {
			return nil, fmt.Errorf("%s: package %s, but other files in %s are package %s",
				p.fset.Position(f.Package), f.Name.Name, dir, p.name)
		}
		p.files = append(p.files, f)
		p.addDecls(f)
	}
	if len(p.files) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	return p, nil
}

func (p *pkg) addDecls(f *ast.File) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				p.decls[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					p.decls[s.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range s.Names {
						p.decls[n.Name] = true
					}
				}
			}
		}
	}
}

// lookup finds the declaration of the type called name.
func (p *pkg) lookup(name string) (*ast.TypeSpec, *ast.File, error) {
	for _, f := range p.files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				if ts := s.(*ast.TypeSpec); ts.Name.Name == name {
					return ts, f, nil
				}
			}
		}
	}
	return nil, nil, fmt.Errorf("type %s not found in package %s", name, p.name)
}

// errorf reports a problem at a source position, so editors can jump to it.
func (p *pkg) errorf(pos token.Pos, format string, args ...any) error {
	return fmt.Errorf("%s: %s", p.fset.Position(pos), fmt.Sprintf(format, args...))
}

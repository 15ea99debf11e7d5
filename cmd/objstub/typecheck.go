package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/importer"
	"go/types"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	rules "github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/objerr"
)

// checked is the type-checked package, checked on first use.
func (p *pkg) checked() (*types.Package, error) {
	if p.typed == nil && p.typedErr == nil {
		p.typed, p.typedErr = p.typeCheck()
	}
	return p.typed, p.typedErr
}

// typeCheck type-checks the parsed files of the package, importing its
// dependencies from the export data that go list -export writes. This is
// what golang.org/x/tools/go/packages does underneath; done with the
// standard library, it costs the core module no dependency, and the
// compiled export data is the build cache's, so a run takes what a
// go list takes. (The "source" importer would type-check every
// dependency, the standard library included, from source on each run.)
//
// The package's own files are checked from the syntax objstub read, so
// that a stale _objstub.go, which load skips, cannot stop a run.
func (p *pkg) typeCheck() (*types.Package, error) {
	var paths []string
	for _, f := range p.files {
		for _, s := range f.Imports {
			ipath, err := strconv.Unquote(s.Path.Value)
			if err == nil && ipath != "C" && ipath != "unsafe" && !slices.Contains(paths, ipath) {
				paths = append(paths, ipath)
			}
		}
	}
	exports := map[string]string{}
	if len(paths) > 0 {
		listed, err := goList(p.dir, append([]string{"-e", "-export", "-deps", "-json=ImportPath,Export,Error", "--"}, paths...)...)
		if err != nil {
			return nil, err
		}
		for _, l := range listed {
			if l.Error != nil {
				return nil, fmt.Errorf("loading %s: %s", l.ImportPath, oneLine(l.Error.Err))
			}
			exports[l.ImportPath] = l.Export
		}
	}
	imp := importer.ForCompiler(p.fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("go list gave no export data for %s", path)
		}
		return os.Open(file)
	})
	var first error
	conf := types.Config{Importer: imp, FakeImportC: true, Error: func(err error) {
		// The package may use what the output declares (AsyncXxx): the
		// output is not there yet, or is stale.
		if te, ok := err.(types.Error); ok && p.generated[strings.TrimPrefix(te.Msg, "undefined: ")] {
			return
		}
		if first == nil {
			first = err
		}
	}}
	tpkg, _ := conf.Check(p.path(), p.fset, p.files, nil)
	if first != nil {
		return nil, fmt.Errorf("%s (objstub type-checks the package without its _objstub.go files)", oneLine(first.Error()))
	}
	return tpkg, nil
}

// path is the package's import path, which reflect shows in the names of
// generic types. Outside a module there is none; the name stands in.
func (p *pkg) path() string {
	listed, err := goList(p.dir, "-e", "-find", "-json=ImportPath,Error", ".")
	if err != nil || len(listed) != 1 || listed[0].Error != nil || listed[0].ImportPath == "" {
		return p.name
	}
	return listed[0].ImportPath
}

type listedPkg struct {
	ImportPath string
	Export     string
	Error      *struct{ Err string }
}

// goList runs go list in dir and decodes its stream of JSON objects.
func goList(dir string, args ...string) ([]listedPkg, error) {
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("go list: %s", oneLine(msg))
	}
	var out []listedPkg
	for d := json.NewDecoder(&stdout); ; {
		var l listedPkg
		if err := d.Decode(&l); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("go list: %v", err)
		}
		out = append(out, l)
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// checkRules applies to the interface the rules that Export applies, by
// the same code (rules.Check), and reports a refusal at the method's
// position with Export's message.
func (p *pkg) checkRules(tpkg *types.Package, conv *typeConv, it *iface) error {
	obj := tpkg.Scope().Lookup(it.name)
	if obj == nil {
		return fmt.Errorf("type %s not found in package %s after type checking", it.name, p.name)
	}
	marks := map[string]rules.Marks{}
	for _, m := range it.methods {
		if m.marks != 0 {
			marks[m.name] = m.marks
		}
	}
	err := rules.Check(conv.of(obj.Type()), marks)
	if err == nil {
		return nil
	}
	pos := it.pos
	var ie *objerr.InterfaceError
	if errors.As(err, &ie) {
		for _, m := range it.methods {
			if m.name == ie.Method {
				pos = m.pos
			}
		}
	}
	return p.errorf(pos, "%v", err)
}

package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const calcTypes = "Calculator,Counter,Journal,Job,ticker"

// TestGolden checks the output byte for byte, as CI's git diff would.
func TestGolden(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.go")
	var stderr bytes.Buffer
	code := run([]string{"-type", calcTypes, "-dir", "testdata/calc", "-output", out}, &bytes.Buffer{}, &stderr)
	require.Equal(t, 0, code, stderr.String())
	got, err := os.ReadFile(out)
	require.NoError(t, err)

	golden := filepath.Join("testdata", "calc", "calculator_objstub.go.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), string(got), "run go test -update if the change is intended")
}

// TestDeterministic guards against map order leaking into the output.
func TestDeterministic(t *testing.T) {
	first, err := generate("testdata/calc", strings.Split(calcTypes, ","))
	require.NoError(t, err)
	for range 10 {
		again, err := generate("testdata/calc", strings.Split(calcTypes, ","))
		require.NoError(t, err)
		require.Equal(t, string(first), string(again))
	}
}

// TestCompiles runs go generate in a scratch module that uses this one,
// then vets the output against the real stub package and runs its init.
func TestCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	root := moduleRoot(t)
	tmp := t.TempDir()
	pkgDir := filepath.Join(tmp, "calc")
	require.NoError(t, os.Mkdir(pkgDir, 0o755))
	sources, err := filepath.Glob("testdata/calc/*.go")
	require.NoError(t, err)
	for _, src := range sources {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(pkgDir, filepath.Base(src)), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(pkgDir, "calc_test.go"), []byte(`package calc

import "testing"

// The package's init registers every shell.
func TestRegistered(t *testing.T) {}
`), 0o644))

	goMod := "module objstubcheck.test\n\n" + goDirective(t, root) +
		"\nrequire github.com/objrmi/objrmi v0.0.0\n\nreplace github.com/objrmi/objrmi => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(goMod), 0o644))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "go.sum"), sum, 0o644))

	goCmd := func(args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = tmp
		// Offline: everything needed is in the module cache already.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	}
	// The directive in calc.go runs objstub as users do: go run, in the
	// package directory, with the default output name.
	goCmd("generate", "./...")
	got, err := os.ReadFile(filepath.Join(pkgDir, "calculator_objstub.go"))
	require.NoError(t, err)
	want, err := os.ReadFile("testdata/calc/calculator_objstub.go.golden")
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	goCmd("vet", "./...")
	goCmd("test", "./...")
}

// moduleRoot finds the objrmi module by walking up to its go.mod.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
}

// goDirective copies the go line of the module, which a module that
// depends on it must not undercut.
func goDirective(t *testing.T, root string) string {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(line, "go ") {
			return line
		}
	}
	t.Fatal("no go directive in the module's go.mod")
	return ""
}

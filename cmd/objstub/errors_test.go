package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// writePkg writes a one-file package to a temporary directory.
func writePkg(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "calc.go"), []byte(src), 0o644))
	return dir
}

func TestRefusals(t *testing.T) {
	const head = "package calc\n\nimport \"context\"\n\nvar _ context.Context\n\n"
	for _, tc := range []struct {
		name, src, typ string
		want           []string // all must appear in the error
	}{
		{"embedded interface", `type Base interface{ Ping(ctx context.Context) error }
type Calc interface {
	Base
	Add(ctx context.Context, a, b int) (int, error)
}`, "Calc", []string{"Calc embeds Base", "not supported yet by objstub", "list the methods in Calc explicitly"}},
		{"missing context", `type Calc interface{ Add(a, b int) (int, error) }`,
			"Calc", []string{"calc.go:7:", "Calc.Add", "first parameter must be context.Context"}},
		{"context not first", `type Calc interface{ Add(a int, ctx context.Context) (int, error) }`,
			"Calc", []string{"Calc.Add", "first parameter must be context.Context"}},
		{"no parameters", `type Calc interface{ Add() (int, error) }`,
			"Calc", []string{"Calc.Add", "first parameter must be context.Context"}},
		{"another Context", `type Context interface{ Done() <-chan struct{} }
type Calc interface{ Add(ctx Context) error }`,
			"Calc", []string{"Calc.Add", "first parameter must be context.Context"}},
		{"missing error", `type Calc interface{ Add(ctx context.Context, a, b int) int }`,
			"Calc", []string{"Calc.Add", "last result must be error"}},
		{"no results", `type Calc interface{ Add(ctx context.Context, a, b int) }`,
			"Calc", []string{"Calc.Add", "last result must be error"}},
		{"error not last", `type Calc interface{ Add(ctx context.Context) (error, int) }`,
			"Calc", []string{"Calc.Add", "last result must be error"}},
		{"unexported method", `type Calc interface{ add(ctx context.Context) error }`,
			"Calc", []string{"Calc.add is not a valid remote interface: the method is unexported"}},
		{"not an interface", `type Calc struct{ N int }`,
			"Calc", []string{"Calc is not an interface type"}},
		{"defined from an interface", `type Base interface{ Ping(ctx context.Context) error }
type Calc Base`, "Calc", []string{"Calc is not an interface type"}},
		{"alias", `type Calc = interface{ Ping(ctx context.Context) error }`,
			"Calc", []string{"Calc is an alias"}},
		{"unknown type", ``, "Nope", []string{"type Nope not found in package calc"}},
		{"no methods", `type Calc interface{}`, "Calc", []string{"Calc has no methods"}},
		{"unknown mark", `type Calc interface {
	//objrmi:onway
	Post(ctx context.Context, msg string) error
}`, "Calc", []string{"calc.go:8:", "Calc.Post", `unknown mark "onway"`, "oneway, readonly and idempotent"}},
		{"oneway with a result", `type Calc interface {
	//objrmi:oneway
	Add(ctx context.Context, a, b int) (int, error)
}`, "Calc", []string{"Calc.Add", "a oneway method has no results but its error", "drop //objrmi:oneway"}},
		{"generic", `type Calc[T any] interface{ Get(ctx context.Context) (T, error) }`,
			"Calc", []string{"Calc is generic"}},
		{"method named Stub", `type Calc interface{ Stub(ctx context.Context) error }`,
			"Calc", []string{"Calc.Stub", "clashes"}},
		{"shell name taken", `type Calc interface{ Ping(ctx context.Context) error }
type calcStub struct{}`, "Calc", []string{"Calc", "calcStub"}},
		{"unknown qualifier", `type Calc interface{ At(ctx context.Context) (time.Time, error) }`,
			"Calc", []string{"Calc.At", "package time"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := generate(writePkg(t, head+tc.src+"\n"), []string{tc.typ})
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			require.NotContains(t, err.Error(), "\n", "errors are one line")
		})
	}
}

func TestRefusesDotImport(t *testing.T) {
	dir := writePkg(t, `package calc

import (
	"context"
	. "time"
)

type Calc interface{ At(ctx context.Context) (Time, error) }
`)
	_, err := generate(dir, []string{"Calc"})
	require.ErrorContains(t, err, `Calc is declared in a file with a dot import of "time"`)
}

func TestRefusesImportNameClash(t *testing.T) {
	dir := writePkg(t, `package calc

import (
	"context"
	"math/rand"
)

type A interface{ R(ctx context.Context) (*rand.Rand, error) }
`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.go"), []byte(`package calc

import (
	"context"
	rand "math/rand/v2"
)

type B interface{ R(ctx context.Context) (*rand.Rand, error) }
`), 0o644))
	_, err := generate(dir, []string{"A", "B"})
	require.ErrorContains(t, err, `B.R: rand names "math/rand/v2" here but "math/rand" in the file of A`)
}

func TestStubImportRenamed(t *testing.T) {
	// The user's package is itself called stub and declares objrmistub.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.go"), []byte(`package stub

import "context"

type Calc interface{ Ping(ctx context.Context) error }

var objrmistub = 1
`), 0o644))
	src, err := generate(dir, []string{"Calc"})
	require.NoError(t, err)
	require.Contains(t, string(src), `objrmistub2 "github.com/objrmi/objrmi/stub"`)
	require.Contains(t, string(src), `objrmistub2.Register[Calc](func(s *objrmistub2.Stub) Calc { return calcStub{s} })`)
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no type", nil, "objstub: -type is required"},
		{"empty type", []string{"-type", " , "}, "objstub: -type is required"},
		{"repeated type", []string{"-type", "A,A"}, "objstub: -type lists A twice"},
		{"unknown flag", []string{"-bogus"}, "objstub: flag provided but not defined: -bogus"},
		{"extra argument", []string{"-type", "A", "x.go"}, "objstub: unexpected arguments"},
		{"missing dir", []string{"-type", "A", "-dir", "testdata/none"}, "objstub: open testdata/none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			require.Equal(t, 1, run(tc.args, &stdout, &stderr))
			require.True(t, strings.HasPrefix(stderr.String(), tc.want), stderr.String())
			require.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
			require.Empty(t, stdout.String())
		})
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"--help"}, &stdout, &stderr))
	require.Contains(t, stdout.String(), "usage: objstub -type")
	require.Contains(t, stdout.String(), "-output file")
	require.Empty(t, stderr.String())
}

func TestDefaultOutput(t *testing.T) {
	dir := writePkg(t, "package calc\n\nimport \"context\"\n\ntype Calculator interface{ Ping(ctx context.Context) error }\n")
	// A stale output that no longer parses must not stop regeneration.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "calculator_objstub.go"), []byte("garbage"), 0o644))
	var stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"-type", "Calculator", "-dir", dir}, &bytes.Buffer{}, &stderr), stderr.String())
	b, err := os.ReadFile(filepath.Join(dir, "calculator_objstub.go"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(b), "// Code generated by objstub. DO NOT EDIT.\n\npackage calc\n"))
}

func TestAssumedName(t *testing.T) {
	for path, want := range map[string]string{
		"time":                              "time",
		"math/rand/v2":                      "rand",
		"github.com/vmihailenco/msgpack/v5": "msgpack",
		"gopkg.in/yaml.v3":                  "yaml",
		"github.com/mattn/go-sqlite3":       "sqlite3",
		"github.com/foo/bar-go":             "bar",
	} {
		require.Equal(t, want, assumedName(path), path)
	}
}

// objstub refuses, from the types, what Export would refuse at run time
// (and stub.Register at init), with Export's message at the method.
func TestRefusesValuesThatCannotCross(t *testing.T) {
	const head = "package calc\n\nimport (\n\t\"context\"\n\t\"io\"\n)\n\nvar _ io.Reader\n\n"
	const at = "calc.go:10:"
	for _, tc := range []struct{ name, src, want string }{
		{"chan parameter", `type Calc interface{ Add(ctx context.Context, c chan int) error }`,
			"objrmi: calc.Calc.Add is not a valid remote interface: parameter 1 (chan int) cannot cross the wire: chan values cannot be encoded"},
		{"func parameter", `type Calc interface{ Add(ctx context.Context, n int, f func(int) bool) error }`,
			"objrmi: calc.Calc.Add is not a valid remote interface: parameter 2 (func(int) bool) cannot cross the wire: func values cannot be encoded"},
		{"io.Reader result", `type Calc interface{ Open(ctx context.Context) (io.Reader, error) }`,
			"objrmi: calc.Calc.Open is not a valid remote interface: result 0 (io.Reader) cannot cross the wire: interface io.Reader is not a remote interface"},
		{"error parameter", `type Calc interface{ Add(ctx context.Context, e error) error }`,
			"parameter 1 (error) cannot cross the wire: an error value cannot be passed; return it as the last result"},
		{"func in a struct", `type Calc interface{ Add(ctx context.Context, v struct{ F func() }) error }`,
			"parameter 1 (struct { F func() }) cannot cross the wire: field F: func values cannot be encoded"},
		{"chan in a value type", `type Calc interface{ Add(ctx context.Context, v map[string][]Box) error }
type Box struct{ C <-chan int }`,
			"parameter 1 (map[string][]calc.Box) cannot cross the wire: field C: chan values cannot be encoded"},
		{"another remote interface refused", `type Calc interface{ Sub(ctx context.Context) (Sub, error) }
type Sub interface{ Next(ctx context.Context, c chan int) error }`,
			"result 0 (calc.Sub) cannot cross the wire: interface calc.Sub is not a remote interface: objrmi: calc.Sub.Next is not a valid remote interface"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := generate(writePkg(t, head+tc.src+"\n"), []string{"Calc"})
			require.Error(t, err)
			require.Contains(t, err.Error(), at)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "\n", "errors are one line")
		})
	}
}

// A type error stops objstub with the checker's message, not a panic
// or a shell that does not compile.
func TestRefusesPackageWithTypeErrors(t *testing.T) {
	dir := writePkg(t, "package calc\n\nimport \"context\"\n\ntype Calc interface{ Add(ctx context.Context, p Point) error }\n")
	_, err := generate(dir, []string{"Calc"})
	require.ErrorContains(t, err, "calc.go:5:49: undefined: Point")
}

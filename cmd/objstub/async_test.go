package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The async companion's names are checked like the shell's: against the
// package's names and each other, with a message that names the way out.
func TestAsyncCompanionNameClashes(t *testing.T) {
	for name, tc := range map[string]struct {
		src, types string
		want       string
	}{
		"a type of the package": {`type CalcAsync struct{}`, "Calc",
			"Calc: the async companion's name CalcAsync would clash with CalcAsync declared in package calc; rename it, or run objstub with -async=false"},
		"the constructor": {`func AsyncCalc() {}`, "Calc", "AsyncCalc would clash"},
		"a result struct": {`type CalcPairResult int`, "Calc", "CalcPairResult would clash"},
		"two interfaces": {`type X interface{ YResult(ctx context.Context) (int, int, error) }
type XY interface{ Result(ctx context.Context) (int, int, error) }`, "X,XY", "X and XY would both declare XYResultResult"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writePkg(t, "package calc\n\nimport \"context\"\n\n"+
				"type Calc interface{ Pair(ctx context.Context) (int, int, error) }\n\n"+tc.src+"\n")
			var stderr bytes.Buffer
			code := run([]string{"-type", tc.types, "-dir", dir}, &bytes.Buffer{}, &stderr)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}

// -async=false generates the shells alone, as before async companions.
func TestAsyncFalseLeavesTheCompanionOut(t *testing.T) {
	dir := writePkg(t, "package calc\n\nimport \"context\"\n\ntype Calc interface{ Ping(ctx context.Context) error }\n\ntype CalcAsync struct{}\n")
	var stderr bytes.Buffer
	out := filepath.Join(dir, "out.go")
	require.Equal(t, 0, run([]string{"-type", "Calc", "-dir", dir, "-output", out, "-async=false"}, &bytes.Buffer{}, &stderr), stderr.String())
	src, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(src), "type calcStub struct")
	assert.NotContains(t, string(src), "Async")
}
